package dewy.container;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** One running container of a version: its engine id and name, its own loopback port, its tag and digest. */
record Replica(String id, String name, int port, String tag, String digest) {
    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Override
    public String toString() {
        return name + "(" + DockerEngine.shortId(id) + ", port " + port + ")";
    }
}
