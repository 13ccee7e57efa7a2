using System.Net;
using SimpleXLedger.Audit.Wire;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Transport;

/// <summary>
/// Issue 21, point 1: a "fresh" connection that resumes a TLS session carries the earlier session's ticket, which
/// links it to that session for the server. Seen on the wire: no ClientHello the wallet sends offers a pre-shared key.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class TlsResumptionTests(NetworkFixture network)
{
    [Fact]
    public async Task Fresh_relay_connections_are_separate_and_never_resume_a_tls_session()
    {
        // By name, as real relays are reached (a client caches TLS sessions per host name, not per IP literal).
        var relay = network.Relay.Address;
        await using var proxy = ClientHelloRecordingProxy.Start(new IPEndPoint(IPAddress.Parse(relay.Host), relay.Port));
        var viaProxy = relay with { Host = "localhost", Port = proxy.Port };

        for (var i = 0; i < 3; i++)
        {
            await using var lease = await FreshRelayConnections.Instance.ConnectAsync(viaProxy, RelayUse.CreateQueue, null, CancellationToken.None);
            await lease.Client.HelloAsync();
        }

        await using (var direct = await RelayClient.ConnectAsync(viaProxy))
        {
            await direct.HelloAsync();
        }

        AssertNoResumption(proxy, atLeast: 4);
    }

    [Fact]
    public async Task Issuer_sessions_never_resume_a_tls_session()
    {
        // The issuer routes by the port in the Host header, so it listens on 127.0.0.2 and the proxies take the same
        // ports on 127.0.0.1, which the wallet reaches by name ("localhost"), as real issuers are reached.
        await using var issuer = await TestIssuer.StartAsync(IPAddress.Parse("127.0.0.2"));
        await using var grpc = ClientHelloRecordingProxy.Start(issuer.Endpoints.Grpc, IPAddress.Loopback, issuer.Endpoints.Grpc.Port);
        await using var http = ClientHelloRecordingProxy.Start(issuer.Endpoints.Http, IPAddress.Loopback, issuer.Endpoints.Http.Port);
        var endpoint = new IssuerEndpoint(new Uri($"https://localhost:{grpc.Port}"), new Uri($"https://localhost:{http.Port}"), issuer.Fingerprint);

        for (var i = 0; i < 3; i++)
        {
            using var session = new IssuerSession(endpoint, DirectoryTrust.Development);
            await session.VerifyAsync();
        }

        AssertNoResumption(grpc, atLeast: 3);
        AssertNoResumption(http, atLeast: 3);
    }

    private static void AssertNoResumption(ClientHelloRecordingProxy proxy, int atLeast)
    {
        var connections = proxy.Connections;
        Assert.True(connections.Count >= atLeast, $"the proxy saw {connections.Count} TCP connections, expected at least {atLeast}");
        Assert.All(connections, c =>
        {
            Assert.NotNull(c.ClientHello);
            Assert.False(c.ClientHello.HasPreSharedKey, $"connection {c.Number} offered a TLS 1.3 pre-shared key (session resumption)");
            Assert.False(c.ClientHello.HasSessionTicket, $"connection {c.Number} sent a TLS 1.2 session ticket");
        });
    }
}
