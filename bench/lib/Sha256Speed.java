import java.security.MessageDigest;
/** Hashes N MiB of zeros with the JDK's SHA-256 in 64 KiB updates and prints the time: bench/jit.sh. */
public class Sha256Speed {
  public static void main(String[] a) throws Exception {
    byte[] buf = new byte[1<<16];
    long mib = Long.parseLong(a[0]);
    long t0 = System.nanoTime();
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (long i = 0; i < mib * 16; i++) d.update(buf, 0, buf.length);
    d.digest();
    System.out.printf("%d MiB in %d ms%n", mib, (System.nanoTime()-t0)/1000000);
  }
}
