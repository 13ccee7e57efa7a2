using System.Net;
using Google.Protobuf;
using Grpc.Net.Client;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>Bad signatures, replays, a wrong certificate, oversize and malformed input: each a clear error, and nothing changes.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private RelayServer _relay = null!;
    private RelayClient _client = null!;
    private readonly NSec.Cryptography.Key _recipientKey = RelayProtocol.NewKey();
    private readonly NSec.Cryptography.Key _senderKey = RelayProtocol.NewKey();
    private QueueCreated _queue = null!;

    public async Task InitializeAsync()
    {
        _relay = await Relays.StartAsync(Relays.Options(_dir.Path));
        _client = await RelayClient.ConnectAsync(_relay.Address);
        _queue = await _client.CreateQueueAsync(_recipientKey);
        await _client.SecureAsync(_queue.RecipientId.Memory, _recipientKey, _senderKey.PublicKey);
        await _client.SendAsync(_queue.SenderId.Memory, _senderKey, "one"u8.ToArray());
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _relay.DisposeAsync();
        _recipientKey.Dispose();
        _senderKey.Dispose();
        _dir.Dispose();
    }

    private async Task AssertUnchangedAsync()
    {
        var info = await _client.InfoAsync(_queue.RecipientId.Memory, _recipientKey);
        Assert.Equal(1u, info.PendingMessages);
        Assert.True(info.Secured);
        Assert.False(info.Suspended);
    }

    private Command Send(byte[] body) => new()
    {
        CorrelationId = ByteString.CopyFrom(RelayProtocol.NewCorrelationId()),
        EntityId = _queue.SenderId,
        Send = new SendMessage { Body = ByteString.CopyFrom(body) },
    };

    [Fact]
    public async Task Wrong_key_missing_signature_and_tampered_bytes_all_get_the_same_auth_error()
    {
        using var stranger = RelayProtocol.NewKey();
        var wrongKey = await Assert.ThrowsAsync<RelayException>(() => _client.SendAsync(_queue.SenderId.Memory, stranger, "x"u8.ToArray()));
        var unsigned = await Assert.ThrowsAsync<RelayException>(() => _client.SendAsync(_queue.SenderId.Memory, null, "x"u8.ToArray()));
        var signed = _client.Sign(Send("x"u8.ToArray()), _senderKey);
        var tamperedBytes = signed.Command.ToByteArray();
        tamperedBytes[^1] ^= 1;
        var tampered = await Assert.ThrowsAsync<RelayException>(() => _client.ExecuteRawAsync(new Transmission { Command = ByteString.CopyFrom(tamperedBytes), Signature = signed.Signature }));
        var badSignature = signed.Signature.ToByteArray();
        badSignature[0] ^= 1;
        var forged = await Assert.ThrowsAsync<RelayException>(() => _client.ExecuteRawAsync(new Transmission { Command = signed.Command, Signature = ByteString.CopyFrom(badSignature) }));
        var unknownQueue = await Assert.ThrowsAsync<RelayException>(() => _client.InfoAsync(new byte[24], _recipientKey));
        var recipientCommandBySender = await Assert.ThrowsAsync<RelayException>(() => _client.InfoAsync(_queue.RecipientId.Memory, _senderKey));

        foreach (var e in new[] { wrongKey, unsigned, tampered, forged, unknownQueue, recipientCommandBySender })
        {
            Assert.Equal(ErrorCode.Auth, e.Code);
            Assert.Equal("Auth: not authorized", e.Message);
        }

        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_command_captured_on_one_connection_is_refused_on_another()
    {
        var captured = _client.Sign(Send("replayed"u8.ToArray()), _senderKey);
        await using var attacker = await RelayClient.ConnectAsync(_relay.Address);
        Assert.False(attacker.SessionNonce.Span.SequenceEqual(_client.SessionNonce.Span));

        var replay = await Assert.ThrowsAsync<RelayException>(() => attacker.ExecuteRawAsync(captured));
        Assert.Equal(ErrorCode.Auth, replay.Code);
        await AssertUnchangedAsync();

        // The same transmission on its own connection is accepted: the refusal was the binding, not the bytes.
        await _client.ExecuteRawAsync(captured);
        Assert.Equal(2u, (await _client.InfoAsync(_queue.RecipientId.Memory, _recipientKey)).PendingMessages);
    }

    [Fact]
    public async Task A_connections_session_nonce_is_forgotten_when_the_connection_closes()
    {
        var before = _relay.Sessions.Count;
        var other = await RelayClient.ConnectAsync(_relay.Address);
        Assert.Equal(before + 1, _relay.Sessions.Count);
        other.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_relay.Sessions.Count > before)
        {
            await Task.Delay(20, cts.Token); // waiting for the server to see the connection close
        }

        Assert.Equal(before, _relay.Sessions.Count);
    }

    [Fact]
    public async Task A_relay_with_another_certificate_is_refused_with_a_clear_error()
    {
        var wrong = _relay.Address.Fingerprint.ToArray();
        wrong[5] ^= 0x40;
        var impostor = _relay.Address with { Fingerprint = wrong };
        var e = await Assert.ThrowsAsync<RelayCertificateMismatchException>(() => RelayClient.ConnectAsync(impostor));
        Assert.Contains("does not match the fingerprint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversize_messages_are_refused_and_the_limit_itself_is_accepted()
    {
        var tooLarge = await Assert.ThrowsAsync<RelayException>(() => _client.SendAsync(_queue.SenderId.Memory, _senderKey, new byte[16_065]));
        Assert.Equal(ErrorCode.LargeMessage, tooLarge.Code);
        Assert.Contains("16064", tooLarge.Message, StringComparison.Ordinal);

        // Far beyond the limit gRPC refuses the frame before the relay reads it.
        var huge = await Assert.ThrowsAsync<RelayException>(() => _client.SendAsync(_queue.SenderId.Memory, _senderKey, new byte[200_000]));
        Assert.Equal(ErrorCode.LargeMessage, huge.Code);
        await AssertUnchangedAsync();

        await _client.SendAsync(_queue.SenderId.Memory, _senderKey, new byte[16_064]);
        Assert.Equal(2u, (await _client.InfoAsync(_queue.RecipientId.Memory, _recipientKey)).PendingMessages);
    }

    [Fact]
    public async Task Malformed_transmissions_get_a_syntax_error()
    {
        byte[][] garbage =
        [
            [0xFF, 0xFF, 0xFF, 0xFF],
            new Command { EntityId = _queue.SenderId, Send = new SendMessage { Body = ByteString.CopyFromUtf8("cut") } }.ToByteArray()[..^2],
            new Command { CorrelationId = ByteString.CopyFrom(new byte[25]), EntityId = _queue.SenderId }.ToByteArray(),
            new Command { EntityId = _queue.SenderId }.ToByteArray(),
            new Command { Create = new CreateQueue { RecipientKey = ByteString.CopyFrom(new byte[31]) } }.ToByteArray(),
        ];
        foreach (var bytes in garbage)
        {
            var e = await Assert.ThrowsAsync<RelayException>(() => _client.ExecuteRawAsync(new Transmission { Command = ByteString.CopyFrom(bytes), Signature = ByteString.CopyFrom(new byte[64]) }));
            Assert.Equal(ErrorCode.Syntax, e.Code);
        }

        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_command_without_hello_on_its_connection_is_refused()
    {
        var pin = new PinnedCertificateValidator(_relay.Address.Fingerprint);
        using var channel = GrpcChannel.ForAddress(_relay.Address.HttpsUri, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { SslOptions = pin.ClientOptions(_relay.Address.Host) },
            HttpVersion = HttpVersion.Version20,
        });
        var raw = new Protos.Relay.Relay.RelayClient(channel);
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await raw.ExecuteAsync(_client.Sign(Send("x"u8.ToArray()), _senderKey)));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal("NoSession", e.Trailers.GetValue(RelayHeaders.Error));
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Queue_creation_can_require_a_password()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path) with { CreatePassword = "correct horse" });
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        Assert.True(client.Limits.CreateRequiresPassword);
        using var key = RelayProtocol.NewKey();
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => client.CreateQueueAsync(key))).Code);
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => client.CreateQueueAsync(key, "correct horsE"))).Code);
        var created = await client.CreateQueueAsync(key, "correct horse");
        Assert.Equal(24, created.RecipientId.Length);
    }
}
