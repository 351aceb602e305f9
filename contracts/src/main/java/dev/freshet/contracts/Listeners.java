package dev.freshet.contracts;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** How logs and errors write a listener's address: the IP actually bound and the port. */
final class Listeners {
    private Listeners() {
    }

    /** {@code 127.0.0.1:9400}, {@code [::1]:9400}; any other kind of address as it prints itself. */
    static String hostAndPort(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return String.valueOf(address);
        }
        String host = inet.getAddress().getHostAddress();
        return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
}
