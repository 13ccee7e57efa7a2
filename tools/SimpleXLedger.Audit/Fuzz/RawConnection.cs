using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>Opens raw connections to send bytes that are not even HTTP (or TLS, or HTTP/2 as it should be).</summary>
internal static class RawConnection
{
    /// <summary>Connects (TLS with ALPN h2 when pinned), writes <paramref name="payload"/>, reads what comes back until the peer closes or the time is up.</summary>
    public static async Task<(byte[] Received, bool Closed)> ExchangeAsync(Uri target, byte[]? fingerprint, bool tls, byte[] payload, TimeSpan wait, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var client = new TcpClient { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(wait);
        var received = new MemoryStream();
        try
        {
            await client.ConnectAsync(target.Host, target.Port, deadline.Token);
            Stream stream = client.GetStream();
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                var options = fingerprint is null
                    ? new SslClientAuthenticationOptions { TargetHost = target.Host, RemoteCertificateValidationCallback = (_, _, _, _) => true }
                    : new PinnedCertificateValidator(fingerprint).ClientOptions(target.Host);
                options.ApplicationProtocols = [SslApplicationProtocol.Http2];
                await ssl.AuthenticateAsClientAsync(options, deadline.Token);
                stream = ssl;
            }

            await using (stream)
            {
                await stream.WriteAsync(payload, deadline.Token);
                await stream.FlushAsync(deadline.Token);
                var buffer = new byte[8192];
                int read;
                while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
                {
                    if (received.Length < 64 * 1024)
                    {
                        received.Write(buffer, 0, read);
                    }
                }
            }

            return (received.ToArray(), true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (received.ToArray(), false);
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException)
        {
            return (received.ToArray(), true);
        }
    }
}
