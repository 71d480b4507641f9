package dev.spool.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which URLs the server may call: http or https, no credentials in the URL, and a host whose every
 * address is on the public internet, or a host the operator allow-listed by name. Refused are
 * loopback, "this network" and unspecified, private (RFC 1918), CGNAT, link-local (with the cloud
 * metadata address 169.254.169.254), unique-local (with fd00:ec2::254), site-local, multicast,
 * benchmarking, reserved and broadcast addresses, in IPv4 and IPv6, including IPv4 addresses
 * embedded in IPv6 ones (mapped, compatible, NAT64, 6to4). Textual encodings need no rules of their
 * own: a host is judged by the addresses it resolves to, whatever it was written as.
 */
public final class OutboundPolicy {

    /** Turns a host name into addresses; the system resolver outside tests. */
    @FunctionalInterface
    public interface Resolver {
        Resolver SYSTEM = InetAddress::getAllByName;

        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /**
     * A URL or address the policy refuses. An {@link UnknownHostException}, so that an HTTP client
     * asking the policy for addresses fails the way it fails for a name that does not resolve.
     */
    public static final class Refused extends UnknownHostException {
        public Refused(String message) {
            super(message);
        }
    }

    /** Hosts made of numbers only (decimal, octal or hex parts), which resolvers read in different ways. */
    private static final Pattern AMBIGUOUS_NUMBER =
            Pattern.compile("(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]*))*");
    private static final Pattern CANONICAL_IPV4 =
            Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private final Set<String> allowedHosts;
    private final Resolver resolver;
    private final String allowSetting;

    /**
     * @param allowedHosts  host names (or address literals) reachable whatever they resolve to
     * @param allowSetting  the setting an operator changes to allow a host, named in refusals
     */
    public OutboundPolicy(Set<String> allowedHosts, Resolver resolver, String allowSetting) {
        this.allowedHosts = Set.copyOf(allowedHosts.stream().map(OutboundPolicy::normalize).toList());
        this.resolver = resolver;
        this.allowSetting = allowSetting;
    }

    /**
     * Checks a URL before it is stored or called: its form, then where its host resolves now.
     * The check is repeated at connect time by {@link #addresses}, which is what makes it binding.
     */
    public URI check(String url) throws Refused {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException | NullPointerException e) {
            throw new Refused("it is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new Refused("only http and https URLs are allowed");
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("credentials in the URL are not allowed");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new Refused("it has no host (or one that is not a valid host name)");
        }
        addresses(uri.getHost());
        return uri;
    }

    /**
     * The addresses a connection to {@code host} may use: all of its addresses, each public, or
     * all of them when the host is allow-listed. Refused when any address is not public (one bad
     * address is enough: a client may try them in any order).
     */
    public InetAddress[] addresses(String host) throws Refused {
        String name = normalize(host);
        if (AMBIGUOUS_NUMBER.matcher(name).matches() && !CANONICAL_IPV4.matcher(name).matches()) {
            // 0177.0.0.1 is 127.0.0.1 to the C library and 177.0.0.1 to the JDK: refuse what reads two ways.
            throw new Refused("its host " + host + " is a number that is not a plain dotted IPv4 address");
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(name);
        } catch (Refused e) {
            throw e;
        } catch (UnknownHostException | RuntimeException e) {
            // The JDK refuses some ambiguous literals (leading zeros) outright: those do not resolve either.
            throw new Refused("its host " + host + " does not resolve");
        }
        if (allowedHosts.contains(name)) {
            return addresses;
        }
        if (addresses == null || addresses.length == 0) {
            throw new Refused("its host " + host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                throw new Refused("its host " + host + " resolves to " + address.getHostAddress()
                        + ", which is not a public address (an operator can allow a host with " + allowSetting + ")");
            }
        }
        return addresses;
    }

    /** Host names compare without case, and IPv6 literals without their brackets. */
    private static String normalize(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** Whether an address is on the public internet. */
    public static boolean isPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return isPublicV4(b[0] & 0xff, b[1] & 0xff, b[2] & 0xff);
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {                       // unique local fc00::/7 (fd00:ec2::254)
                return false;
            }
            if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) { // site-local fec0::/10
                return false;
            }
            if (zeros(b, 0, 10) && ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff || zeros(b, 10, 12))) {
                return isPublicV4(b, 12);                      // ::ffff:a.b.c.d mapped, ::a.b.c.d compatible
            }
            if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
                    && zeros(b, 4, 12)) {
                return isPublicV4(b, 12);                      // NAT64 64:ff9b::a.b.c.d
            }
            if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
                return isPublicV4(b, 2);                       // 6to4 2002:aabb:ccdd::
            }
            if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) {
                return false;                                  // documentation 2001:db8::/32
            }
        }
        return true;
    }

    private static boolean isPublicV4(byte[] b, int at) {
        return isPublicV4(b[at] & 0xff, b[at + 1] & 0xff, b[at + 2] & 0xff);
    }

    private static boolean isPublicV4(int first, int second, int third) {
        return !(first == 0                                        // "this network", unspecified
                || first == 127 || first == 10                     // loopback, private
                || (first == 172 && second >= 16 && second < 32)   // private
                || (first == 192 && second == 168)                 // private
                || (first == 169 && second == 254)                 // link-local, cloud metadata
                || (first == 100 && second >= 64 && second < 128)  // CGNAT (and Alibaba's metadata)
                || (first == 192 && second == 0 && third == 0)     // IETF protocol assignments
                || (first == 198 && (second == 18 || second == 19)) // benchmarking
                || first >= 224);                                  // multicast, reserved, broadcast
    }

    private static boolean zeros(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
