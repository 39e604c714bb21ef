import dewy.proxy.TcpProxy;
import java.net.InetSocketAddress;
import java.util.List;

/** dewy's TCP proxy as a process of its own, for bench/proxy.sh: ProxyMain LISTEN_PORT BACKEND_PORT (127.0.0.1). */
public class ProxyMain {
    public static void main(String[] args) throws Exception {
        TcpProxy proxy = TcpProxy.start(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])),
                TcpProxy.Options.defaults());
        proxy.publish(List.of(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]))));
        System.out.println("listening " + proxy.address().getPort());
        Thread.currentThread().join();
    }
}
