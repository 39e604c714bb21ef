package dewy.cli;

/** Bad input on the command line or in a DEWY_* variable. dewy prints the message on one line and exits 2. */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
