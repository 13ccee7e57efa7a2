using System.Diagnostics.CodeAnalysis;
using SimpleXLedger.Hosting.Tls;

namespace SimpleXLedger.Clearing.Client;

/// <summary>
/// A clearing house's address, <c>sxl://&lt;certificate SHA-256, base64url or hex&gt;@host:port</c>, in the
/// same form as a relay's: where it listens and which certificate it must present.
/// </summary>
public sealed record ClearingAddress(byte[] Fingerprint, string Host, int Port)
{
    public const string Scheme = "sxl";

    public Uri HttpsUri => new UriBuilder("https", Host, Port).Uri;

    public override string ToString() => $"{Scheme}://{CertificateFingerprint.ToText(Fingerprint)}@{FormatHost(Host)}:{Port}";

    public static ClearingAddress Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ClearingAddress? address, out string error)
    {
        address = null;
        error = "a clearing house address looks like sxl://<certificate fingerprint>@host:port";
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

        address = new ClearingAddress(fingerprint, host, port);
        return true;
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    public bool Equals(ClearingAddress? other) =>
        other is not null && Fingerprint.AsSpan().SequenceEqual(other.Fingerprint) && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase) && Port == other.Port;

    public override int GetHashCode() => HashCode.Combine(Host.ToUpperInvariant(), Port);
}
