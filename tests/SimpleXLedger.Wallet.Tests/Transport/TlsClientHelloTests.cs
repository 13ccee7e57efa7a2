using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SimpleXLedger.Audit.Wire;

namespace SimpleXLedger.Wallet.Tests.Transport;

/// <summary>The ClientHello reader the resumption tests rely on: constructed hellos with and without a PSK, and a real one.</summary>
public sealed class TlsClientHelloTests
{
    [Fact]
    public void A_hello_without_pre_shared_key_is_read_and_says_so()
    {
        var wire = Record(ClientHello((0x0000, [0, 5, 0, 0, 2, (byte)'h', (byte)'i']), (0x002b, [2, 3, 4])));

        Assert.Equal(ClientHelloParse.Parsed, TlsClientHello.TryParse(wire, out var hello));
        Assert.Equal([(ushort)0x0000, (ushort)0x002b], hello!.Extensions);
        Assert.False(hello.HasPreSharedKey);
        Assert.False(hello.HasSessionTicket);
    }

    [Fact]
    public void A_hello_with_pre_shared_key_is_seen()
    {
        var psk = new byte[] { 0, 6, 0, 2, 0xaa, 0xbb, 0, 0, 0, 0, 0, 3, 2, 0xcc, 0xdd };
        var wire = Record(ClientHello((0x002b, [2, 3, 4]), (0x002d, [1, 1]), (TlsClientHello.PreSharedKeyExtension, psk)));

        Assert.Equal(ClientHelloParse.Parsed, TlsClientHello.TryParse(wire, out var hello));
        Assert.True(hello!.HasPreSharedKey);
        Assert.Equal(TlsClientHello.PreSharedKeyExtension, hello.Extensions[^1]);
    }

    [Fact]
    public void A_non_empty_session_ticket_is_seen_and_an_empty_one_is_not()
    {
        Assert.Equal(ClientHelloParse.Parsed, TlsClientHello.TryParse(Record(ClientHello((TlsClientHello.SessionTicketExtension, []))), out var empty));
        Assert.False(empty!.HasSessionTicket);
        Assert.Equal(ClientHelloParse.Parsed, TlsClientHello.TryParse(Record(ClientHello((TlsClientHello.SessionTicketExtension, [1, 2, 3]))), out var ticket));
        Assert.True(ticket!.HasSessionTicket);
    }

    [Fact]
    public void A_hello_split_over_two_records_is_joined_and_a_partial_one_needs_more()
    {
        var handshake = ClientHello((TlsClientHello.PreSharedKeyExtension, [0, 0, 0, 0]));
        var wire = Record(handshake[..20]).Concat(Record(handshake[20..])).ToArray();

        Assert.Equal(ClientHelloParse.Parsed, TlsClientHello.TryParse(wire, out var hello));
        Assert.True(hello!.HasPreSharedKey);
        for (var cut = 0; cut < wire.Length; cut++)
        {
            Assert.Equal(ClientHelloParse.NeedMoreData, TlsClientHello.TryParse(wire.AsSpan(0, cut), out _));
        }
    }

    [Fact]
    public void Other_bytes_are_not_a_hello()
    {
        Assert.Equal(ClientHelloParse.NotClientHello, TlsClientHello.TryParse("PRI * HTTP/2.0\r\n"u8, out _));
        var serverHello = Record(ClientHello());
        serverHello[5] = 0x02;
        Assert.Equal(ClientHelloParse.NotClientHello, TlsClientHello.TryParse(serverHello, out _));
    }

    [Fact]
    public async Task A_real_dotnet_client_hello_is_read()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var server = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(client.GetStream());
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "relay.example",
            EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, _, _, _) => false,
        });

        var seen = new List<byte>();
        var buffer = new byte[4096];
        TlsClientHello? hello;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (TlsClientHello.TryParse(seen.ToArray(), out hello) == ClientHelloParse.NeedMoreData)
        {
            var read = await server.GetStream().ReadAsync(buffer, timeout.Token);
            Assert.NotEqual(0, read);
            seen.AddRange(buffer.AsSpan(0, read));
        }

        Assert.NotNull(hello);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.True(hello.Has(TlsClientHello.ServerNameExtension));
        Assert.True(hello.ExtensionData[TlsClientHello.ServerNameExtension].AsSpan().IndexOf("relay.example"u8) >= 0);
        Assert.False(hello.HasPreSharedKey);
        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
    }

    private static byte[] ClientHello(params (ushort Type, byte[] Data)[] extensions)
    {
        var body = new List<byte> { 0x03, 0x03 };
        body.AddRange(new byte[32]);
        body.Add(32);
        body.AddRange(Enumerable.Repeat((byte)7, 32));
        body.AddRange(new byte[] { 0, 2, 0x13, 0x01, 1, 0 });
        var extensionBytes = new List<byte>();
        foreach (var (type, data) in extensions)
        {
            extensionBytes.AddRange(new[] { (byte)(type >> 8), (byte)type, (byte)(data.Length >> 8), (byte)data.Length });
            extensionBytes.AddRange(data);
        }

        body.AddRange(new[] { (byte)(extensionBytes.Count >> 8), (byte)extensionBytes.Count });
        body.AddRange(extensionBytes);
        var message = new List<byte> { TlsClientHello.ClientHelloType, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count };
        message.AddRange(body);
        return [.. message];
    }

    private static byte[] Record(byte[] fragment) =>
        [TlsClientHello.HandshakeRecord, 0x03, 0x01, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];
}
