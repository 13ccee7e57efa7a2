using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Relay.Hosting;

/// <summary>
/// Session nonces, one per HTTP/2 connection (by Kestrel's connection id): handed out by Hello,
/// covered by every signature on that connection, forgotten when the connection closes. A
/// transmission captured on one connection fails verification on any other. Shared with the file relay.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, byte[]> _nonces = new(StringComparer.Ordinal);

    public int Count => _nonces.Count;

    public byte[] Open(string connectionId) =>
        _nonces.GetOrAdd(connectionId, static _ => RandomNumberGenerator.GetBytes(RelayProtocol.SessionNonceLength));

    public byte[]? Find(string connectionId) => _nonces.TryGetValue(connectionId, out var nonce) ? nonce : null;

    public void Close(string connectionId) => _nonces.TryRemove(connectionId, out _);

    /// <summary>Forgets a connection's session nonce when the connection closes (call before <c>UseHttps</c>).</summary>
    public void ForgetOnClose(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Use(next => async connection =>
        {
            try
            {
                await next(connection);
            }
            finally
            {
                Close(connection.ConnectionId);
            }
        });
    }
}
