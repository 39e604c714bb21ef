package dewy.deploy;

import java.io.IOException;

/** An artifact failed verification (checksum mismatch, no checksum where one is required): never retried. */
public class VerificationException extends IOException {
    private static final long serialVersionUID = 1L;

    public VerificationException(String message) {
        super(message);
    }
}
