package dewy.notify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code ca=FILE} on a mail URL: the PEM certificates of FILE are the only CAs that mail notifier trusts (a private
 * relay's CA, or its self-signed certificate). Without it, the JVM's truststore decides, which
 * {@code DEWY_JAVA_OPTS=-Djavax.net.ssl.trustStore=...} replaces for all of dewy. Read once, when the URL is parsed.
 */
final class MailTrust {
    private MailTrust() {
    }

    static SSLSocketFactory fromPem(String shown, String file) {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw NotifierUrls.badAs(shown, "ca: cannot read PEM certificates from " + file);
        }
        if (certs.isEmpty()) {
            throw NotifierUrls.badAs(shown, "ca: no certificate in " + file);
        }
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw NotifierUrls.badAs(shown, "ca: " + e.getClass().getSimpleName());
        }
    }
}
