using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Net;

/// <summary>
/// A service's pinned address, <c>sxl://&lt;certificate SHA-256, base64url or hex&gt;@host:port</c>: where it
/// listens and which certificate it must present. Relays, the clearing house and every other service that
/// pins its certificate share this one form.
/// </summary>
public sealed record PinnedAddress(byte[] Fingerprint, string Host, int Port)
{
    public const string Scheme = "sxl";

    public Uri HttpsUri => new UriBuilder("https", Host, Port).Uri;

    public override string ToString() => $"{Scheme}://{CertificateFingerprint.ToText(Fingerprint)}@{FormatHost(Host)}:{Port}";

    public static PinnedAddress Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out PinnedAddress? address, out string error)
    {
        address = null;
        error = "an address looks like sxl://<certificate fingerprint>@host:port";
        if (string.IsNullOrWhiteSpace(text) || !text.StartsWith(Scheme + "://", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = text[(Scheme.Length + 3)..].TrimEnd('/');
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0)
        {
            return false;
        }

        if (!CertificateFingerprint.TryParse(rest[..at], out var fingerprint))
        {
            error = "the address's certificate fingerprint is not a SHA-256 (43 base64url characters or 64 hex digits)";
            return false;
        }

        var hostPort = rest[(at + 1)..];
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            error = "the address needs host:port after the @";
            return false;
        }

        var host = hostPort[..colon].Trim('[', ']');
        if (host.Length == 0)
        {
            error = "the address needs a host";
            return false;
        }

        address = new PinnedAddress(fingerprint, host, port);
        return true;
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    /// <summary>Same certificate (compared in constant time), same host (case-insensitive), same port.</summary>
    public bool Equals(PinnedAddress? other) =>
        other is not null
        && Fingerprint.Length == other.Fingerprint.Length
        && CryptographicOperations.FixedTimeEquals(Fingerprint, other.Fingerprint)
        && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase)
        && Port == other.Port;

    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Host), Port);
}
