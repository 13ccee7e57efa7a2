using System.Security.Cryptography;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Files.Tests.Support;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests;

/// <summary>
/// Paid chunks through the shipped tokens plugin (the message relay's plugin, loaded the same way): whole tokens
/// attached at registration pay storage for the chunk's lifetime and a download per recipient id.
/// </summary>
public sealed class PaidFilesTests(TokenMint mint) : IClassFixture<TokenMint>, IAsyncLifetime
{
    private const int Size = 256 * 1024;
    private readonly TempDirectory _dir = new();
    private FilesServer _relay = null!;
    private FileRelayClient _client = null!;

    private FilesOptions Options() => FileRelays.Options(_dir.File("relay"), "tokens") with
    {
        MeteringSettings = mint.Settings(),
        // 0.25 MiB × 2 days × 2 credits + 0.25 MiB × 0.01 credit per recipient: just over 1 credit, so 2 tokens.
        StorageMicrosPerMiBDay = 2_000_000,
        DownloadMicrosPerMiB = 10_000,
    };

    public async Task InitializeAsync()
    {
        _relay = await FileRelays.StartAsync(Options());
        _client = await FileRelayClient.ConnectAsync(_relay.Address);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _relay.DisposeAsync();
        _dir.Dispose();
    }

    private Task<ChunkIds> RegisterAsync(byte[] bytes, IReadOnlyList<byte[]> tokens) =>
        _client.RegisterAsync(RelayProtocol.NewKey(), bytes.Length, SHA256.HashData(bytes), [RelayProtocol.PublicKeyBytes(RelayProtocol.NewKey())], tokens: tokens);

    [Fact]
    public async Task The_relay_states_its_price_and_the_client_computes_the_same_number_of_tokens()
    {
        Assert.Equal("tokens", _client.Hello.Metering);
        Assert.Equal(2_000_000UL, _client.Hello.StorageMicrosPerMibDay);
        var price = FilesProtocol.Price(Size, TimeSpan.FromSeconds(_client.Hello.ChunkTtlSeconds), 1, 2_000_000, 10_000);
        Assert.Equal(1_002_500, price);
        Assert.Equal(2, FilesProtocol.TokensFor(price));
    }

    [Fact]
    public async Task Without_enough_tokens_nothing_is_stored_and_the_tokens_stay_unspent()
    {
        var bytes = RandomNumberGenerator.GetBytes(Size);
        var none = await Assert.ThrowsAsync<FileRelayException>(() => RegisterAsync(bytes, []));
        Assert.Equal(FileErrorCode.PaymentRequired, none.Code);
        Assert.StartsWith("PrivateToken challenge=", none.WwwAuthenticate, StringComparison.Ordinal);

        var first = mint.Mint();
        var one = await Assert.ThrowsAsync<FileRelayException>(() => RegisterAsync(bytes, [first]));
        Assert.Equal(FileErrorCode.PaymentRequired, one.Code);
        Assert.Equal((0L, 0L, 0L), await _relay.CountsAsync());

        // The token the short payment carried was not spent: with a second one it pays.
        var ids = await RegisterAsync(bytes, [first, mint.Mint()]);
        Assert.Equal(FilesProtocol.IdLength, ids.SenderId.Length);
        Assert.Equal(1L, (await _relay.CountsAsync()).Chunks);
    }

    [Fact]
    public async Task A_spent_token_or_the_same_token_twice_is_refused_also_after_a_restart()
    {
        var bytes = RandomNumberGenerator.GetBytes(Size);
        var a = mint.Mint();
        var b = mint.Mint();
        await RegisterAsync(bytes, [a, b]);

        var twice = await Assert.ThrowsAsync<FileRelayException>(() => RegisterAsync(bytes, [a, a]));
        Assert.Equal(FileErrorCode.PaymentRefused, twice.Code);
        var spent = await Assert.ThrowsAsync<FileRelayException>(() => RegisterAsync(bytes, [mint.Mint(), b]));
        Assert.Equal(FileErrorCode.PaymentRefused, spent.Code);
        Assert.Equal(1L, (await _relay.CountsAsync()).Chunks);

        _client.Dispose();
        await _relay.DisposeAsync();
        _relay = await FileRelays.StartAsync(Options());
        _client = await FileRelayClient.ConnectAsync(_relay.Address);
        var afterRestart = await Assert.ThrowsAsync<FileRelayException>(() => RegisterAsync(bytes, [a, mint.Mint()]));
        Assert.Equal(FileErrorCode.PaymentRefused, afterRestart.Code);
        Assert.Equal(1L, (await _relay.CountsAsync()).Chunks);
    }

    [Fact]
    public async Task A_file_sent_with_tokens_per_chunk_is_received_for_free()
    {
        var path = _dir.File("in.bin");
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(600_000));
        var asked = new List<int>();
        var result = await FileSender.SendAsync(path, [_relay.Address], pay: (_, n, _) =>
        {
            asked.Add(n);
            return Task.FromResult<IReadOnlyList<byte[]>>(Enumerable.Range(0, n).Select(_ => mint.Mint()).ToArray());
        });

        // 600,000 bytes: two 256 KiB chunks and two of 64 KiB, each paid on its own.
        Assert.Equal(result.Recipients[0].Chunks.Count, asked.Count);
        Assert.Equal([2, 2, 1, 1], asked);
        var output = _dir.File("out.bin");
        await FileReceiver.ReceiveAsync(result.Recipients[0], output);
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(output));
    }
}
