package dewy.deploy;

import java.io.IOException;
import java.time.Duration;

/** {@code real} with some calls replaced: the tests' registries that fail, watch or tamper. */
class DelegatingRegistry implements Registry {
    final Registry real;

    DelegatingRegistry(Registry real) {
        this.real = real;
    }

    @Override
    public Release latest() throws IOException, InterruptedException {
        return real.latest();
    }

    @Override
    public void copy(Asset asset, java.io.OutputStream out, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        real.copy(asset, out, maxBytes, timeout);
    }

    @Override
    public String describe() {
        return real.describe();
    }

    @Override
    public Version version(String tag) {
        return real.version(tag);
    }

    @Override
    public void report(String tag, ShippingReport report) throws IOException, InterruptedException {
        real.report(tag, report);
    }
}
