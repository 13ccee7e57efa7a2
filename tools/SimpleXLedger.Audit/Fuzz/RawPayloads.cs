using System.Text;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>Payloads for raw connections: HTTP/1.1 gone wrong, HTTP/2 gone wrong, plain noise.</summary>
internal static class RawPayloads
{
    public static (byte[], string) Http1(FuzzRandom random, Uri target)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(target);
        var host = $"{target.Host}:{target.Port}";
        return random.Next(8) switch
        {
            0 => (random.Bytes(random.Length(64, 8192)), "noise"),
            1 => (Encoding.ASCII.GetBytes($"POST /token-request HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/private-token-request\r\nContent-Length: 259\r\n\r\n{new string('x', random.Next(259))}"), "truncated body"),
            2 => (Encoding.ASCII.GetBytes($"POST /token-request HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{new string('x', 10)}\r\n"), "bad chunk"),
            3 => (Encoding.ASCII.GetBytes($"GET /{new string('a', random.Between(9000, 70000))} HTTP/1.1\r\nHost: {host}\r\n\r\n"), "huge request line"),
            4 => (Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {host}\r\n{string.Concat(Enumerable.Repeat("X-A: b\r\n", random.Between(200, 2000)))}\r\n"), "many headers"),
            5 => (Encoding.ASCII.GetBytes($"POST /token-request HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789"), "two content lengths"),
            6 => (Encoding.ASCII.GetBytes($"GET\0/ HTTP/9.9\r\n\r\n"), "bad request line"),
            _ => ([.. Encoding.ASCII.GetBytes($"GET /.well-known/private-token-issuer-directory HTTP/1.1\r\nHost: {host}\r\n\r\n"), .. random.Bytes(random.Between(1, 512))], "good request then noise"),
        };
    }

    /// <summary>The HTTP/2 preface (or half of it) followed by frames that are wrong.</summary>
    public static (byte[], string) Http2(FuzzRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
        return random.Next(6) switch
        {
            0 => (preface[..random.Next(preface.Length)], "half a preface"),
            1 => ([.. preface, .. random.Bytes(random.Length(64, 4096))], "preface then noise"),
            // SETTINGS with a length that is not a multiple of 6.
            2 => ([.. preface, 0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5], "bad settings frame"),
            // HEADERS on stream 1 with an HPACK block of noise.
            3 => ([.. preface, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 32, 1, 5, 0, 0, 0, 1, .. random.Bytes(32)], "headers of noise"),
            // A frame whose length says 16 MB.
            4 => ([.. preface, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, .. random.Bytes(64)], "huge frame length"),
            _ => ([.. preface, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0], "goaway at once"),
        };
    }
}
