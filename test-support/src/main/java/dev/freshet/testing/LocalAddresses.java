package dev.freshet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;

/** What tests of bind addresses ask of this machine's interfaces. */
public final class LocalAddresses {
    private LocalAddresses() {
    }

    /** Whether a TCP connection to {@code address}:{@code port} is accepted (within 5 s). */
    public static boolean accepts(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 5_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** An IPv4 address of an interface that is up and not loopback, if this machine has one. */
    public static Optional<InetAddress> nonLoopback() {
        try {
            return NetworkInterface.networkInterfaces().filter(nic -> {
                try {
                    return nic.isUp() && !nic.isLoopback();
                } catch (SocketException e) {
                    return false;
                }
            }).flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
                .findFirst();
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #nonLoopback()}, or the calling test is skipped, saying why. */
    public static InetAddress nonLoopbackOrSkip() {
        Optional<InetAddress> found = nonLoopback();
        Assumptions.assumeTrue(found.isPresent(), "this machine has an IPv4 address besides loopback");
        return found.get();
    }
}
