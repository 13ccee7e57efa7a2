using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Network;

/// <summary>
/// The whole network on one machine: Anvil with the ledger deployed (devnet-length windows), a clearing house,
/// an issuer and two relays — each its own <c>sxl … serve</c> process on loopback with <c>--devnet</c> and
/// SQLite under the data directory — and a vendor batch funded on-chain and handed to the issuer.
/// Disposing it stops every child in reverse order and waits for each.
/// </summary>
public sealed class DevnetNetwork : IAsyncDisposable
{
    private readonly List<DevnetService> _services = [];
    private readonly List<RelayService> _relays = [];
    private readonly CancellationTokenSource _stopping = new();
    private DevnetChain? _chain;
    private DevnetCoturn? _coturn;
    private Task _ticker = Task.CompletedTask;
    private int _disposed;

    private DevnetNetwork(DevnetOptions options)
    {
        Options = options;
        Runner = new SxlRunner(options.Program, options.LogDirectory, options.Environment);
    }

    public DevnetOptions Options { get; }

    public SxlRunner Runner { get; }

    public DevnetChain Chain => _chain ?? throw new InvalidOperationException("the chain is not started");

    public string RpcUrl => Chain.RpcUrl;

    public string Ledger => Chain.Deployment.Ledger;

    public IssuerService Issuer { get; private set; } = null!;

    public ClearingService Clearing { get; private set; } = null!;

    public IReadOnlyList<RelayService> Relays => _relays;

    public VendorBatch Batch { get; private set; } = null!;

    /// <summary>coturn and the TURN credential service, or null when coturn is not installed (or TURN was left out).</summary>
    public TurnService? Turn { get; private set; }

    /// <summary>Why there is no <see cref="Turn"/> (how to install coturn), or null when it runs.</summary>
    public string? TurnMissing { get; private set; }

    /// <summary>True when the relays redeem every token at the clearing house (network-wide double-spend protection).</summary>
    public bool RelaysRedeemAtClearingHouse { get; private set; }

    /// <summary>The vendor's key file (for <c>sxl vendor …</c> commands).</summary>
    public string VendorKeyFile => KeyFile("vendor");

    /// <summary>Every service, in start order (clearing house, issuer, relays): to watch, kill and restart.</summary>
    public IReadOnlyList<DevnetService> Services => _services;

    /// <summary>Starts everything; on failure stops what was started and throws <see cref="DevnetException"/>.</summary>
    public static async Task<DevnetNetwork> StartAsync(DevnetOptions options, IDevnetProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        if (options.Relays is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "between one and four relays (one operator account each)");
        }

        Directory.CreateDirectory(options.DataDirectory);
        Directory.CreateDirectory(options.LogDirectory);
        Directory.CreateDirectory(options.KeyDirectory);
        var network = new DevnetNetwork(options);
        try
        {
            await network.StartChainAsync(progress, ct);
            network.WriteKeyFiles();
            await network.StartClearingAsync(progress, ct);
            await network.StartIssuerAsync(progress, ct);
            for (var i = 0; i < options.Relays; i++)
            {
                await network.StartRelayAsync(i, progress, ct);
            }

            await network.StartTurnAsync(progress, ct);
            await network.FundVendorBatchAsync(progress, ct);
            network.WriteDescription();
            return network;
        }
        catch (Exception e) when (e is ChildProcessException or AnvilStartException or Nethereum.JsonRpc.Client.RpcClientUnknownException or IOException or KeyFileException
            or LedgerRevertException or Grpc.Core.RpcException or HttpRequestException)
        {
            await network.DisposeAsync();
            throw new DevnetException($"the devnet could not start: {e.Message}", e);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>A ledger client sending as one of the dev accounts (the caller disposes the connection).</summary>
    public async Task<LedgerClient> LedgerAsAsync(DevAccount account, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(account);
        var connection = await ChainConnection.ConnectAsync(RpcUrl, account.Key, ct: ct);
        return await LedgerClient.AttachAsync(connection, Ledger, ct: ct);
    }

    /// <summary>
    /// Until the issuer reports every card active (it activates a batch once it has seen its funding on-chain, on its
    /// next maintenance tick): what a vendor waits for before handing cards out.
    /// </summary>
    public async Task WaitForCardsActiveAsync(IReadOnlyList<string> codes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(codes);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(Issuer.Grpc);
        var client = new SimpleXLedger.Protos.Issuer.Issuer.IssuerClient(channel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.ReadyTimeout);
        try
        {
            foreach (var code in codes)
            {
                while ((await client.GetCardAsync(new SimpleXLedger.Protos.Issuer.GetCardRequest { CardCode = code }, cancellationToken: timeout.Token)).State
                    == SimpleXLedger.Protos.Issuer.CardInfo.Types.State.AwaitingFunding)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DevnetException($"the issuer did not activate the funded cards within {Options.ReadyTimeout.TotalSeconds:0} s; see {Issuer.Process.LogPath}");
        }
    }

    /// <summary>The key file of a role (<c>issuer</c>, <c>clearing</c>, <c>vendor</c>, <c>operator-a</c>, …), 64 hex digits, mode 0600.</summary>
    public string KeyFile(string role) => Path.Combine(Options.KeyDirectory, role + ".key");

    /// <summary>The first service that has died, if any (a healthy devnet has none).</summary>
    public DevnetService? FirstDeadService() => _services.FirstOrDefault(s => s.Process.HasExited);

    /// <summary>Completes when any service, or coturn, has died (a healthy devnet never does).</summary>
    public Task AnyDiedAsync() => Task.WhenAny(_services.Select(s => s.Process.Exited).Concat(_coturn is null ? [] : [_coturn.Process.Exited]));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Relays first (they call the others), then the issuer and the clearing house, the chain last;
        // each group in parallel so Ctrl+C is answered within a couple of seconds.
        var relays = _relays.Select(r => r.Service).ToHashSet();
        if (Turn is not null)
        {
            relays.Add(Turn.Service);
        }

        await StopAllAsync(_services.Where(relays.Contains).Select(s => s.Process));
        await StopAllAsync(_services.Where(s => !relays.Contains(s)).Select(s => s.Process));
        if (_coturn is not null)
        {
            await StopAllAsync([_coturn.Process]);
        }

        await _stopping.CancelAsync();
        await _ticker;
        _stopping.Dispose();
        if (_chain is not null)
        {
            await _chain.DisposeAsync();
        }
    }

    private static async Task StopAllAsync(IEnumerable<ChildProcess> processes)
    {
        await Task.WhenAll(processes.Where(p => p is not null).Select(async p =>
        {
            try
            {
                await p.DisposeAsync();
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                // Killed already; the others still stop.
            }
        }));
    }

    // ---- the steps of start-up -------------------------------------------------------------------

    private async Task StartChainAsync(IDevnetProgress progress, CancellationToken ct)
    {
        var anvil = await AnvilInstaller.EnsureAsync(progress, Options.LogDirectory, ct);
        progress.Doing("starting Anvil and deploying the ledger (devnet windows: seconds)");
        _chain = await DevnetChain.StartAsync(new AnvilOptions { Executable = anvil }, ct: ct);
        _ticker = BlockTicker.RunAsync(_chain.RpcUrl, TimeSpan.FromSeconds(1), _stopping.Token);
        progress.Done($"chain {_chain.RpcUrl}: ledger {_chain.Deployment.Ledger}, key registry {_chain.Deployment.KeyRegistry}, test dollar {_chain.Deployment.Token}");
    }

    private void WriteKeyFiles()
    {
        // Anvil's public dev keys: one file per role, as an operator would keep its own.
        Write("issuer", DevAccounts.Issuer);
        Write("clearing", DevAccounts.ClearingHouse);
        Write("vendor", DevAccounts.Vendor);
        Write("fee", DevAccounts.FeeRecipient);
        for (var i = 0; i < Options.Relays; i++)
        {
            Write(OperatorRole(i), OperatorAccount(i));
        }

        void Write(string role, DevAccount account)
        {
            var path = KeyFile(role);
            if (!File.Exists(path))
            {
                EthereumKeyFile.Write(path, account.Key);
            }
        }
    }

    private async Task StartClearingAsync(IDevnetProgress progress, CancellationToken ct)
    {
        progress.Doing("starting the clearing house");
        var data = Path.Combine(Options.DataDirectory, "clearing");
        var key = KeyFile("clearing");
        var service = new DevnetService(Runner, "clearing", [
            "clearing", "serve", "--data", data, "--grpc", "127.0.0.1:0",
            "--rpc", RpcUrl, "--ledger", Ledger, "--key", key,
            "--issuer-name", Options.IssuerName,
            "--epoch-seconds", Options.EpochSeconds.ToString(CultureInfo.InvariantCulture),
            // The issuer anchors every few seconds here: a real over-issuance alarms within minutes, not hours.
            "--anchoring-period-seconds", Options.IssuedAnchorSeconds.ToString(CultureInfo.InvariantCulture), "--anchoring-grace-seconds", "300",
            "--devnet",
        ], l => l.StartsWith("sxl://", StringComparison.Ordinal));
        _services.Add(service);
        var address = await service.StartAsync(Options.ReadyTimeout, null, ct);
        service.Pin("--grpc", "127.0.0.1:" + new Uri(address.Replace("sxl://", "https://", StringComparison.Ordinal)).Port.ToString(CultureInfo.InvariantCulture));
        Clearing = new ClearingService(service, data, address, key);
        progress.Done($"clearing house {Clearing.Address}");
    }

    private async Task StartIssuerAsync(IDevnetProgress progress, CancellationToken ct)
    {
        progress.Doing("starting the issuer");
        var data = Path.Combine(Options.DataDirectory, "issuer");
        var key = KeyFile("issuer");
        // The issuer takes fixed ports: pick free ones, and pick again if another process took one first.
        for (var attempt = 1; ; attempt++)
        {
            var service = new DevnetService(Runner, "issuer", [.. IssuerArguments(data, FreeLoopbackPort(), FreeLoopbackPort(), key)], l => l.StartsWith("issuer ready", StringComparison.Ordinal));
            try
            {
                var ready = await service.StartAsync(Options.ReadyTimeout, null, ct);
                _services.Add(service);
                Issuer = new IssuerService(service, data, new Uri(Field(ready, "http")), new Uri(Field(ready, "grpc")), Options.IssuerName, key);
                progress.Doing("waiting for the issuer's first key to become usable on-chain");
                await WaitForIssuingKeyAsync(ct);
                progress.Done($"issuer {Issuer.Name}: gRPC {Issuer.Grpc}, HTTP {Issuer.Http} ({Field(ready, "mode")} mode)");
                return;
            }
            catch (ChildProcessException) when (attempt < 3 && service.Process.HasExited && service.Process.RecentOutput.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another process took a port between picking and binding: pick again.
                await service.Process.DisposeAsync();
            }
            catch
            {
                if (!_services.Contains(service))
                {
                    _services.Add(service);
                }

                throw;
            }
        }
    }

    /// <summary>Until the registry names a key issuing now (anchored, and usable by block time): wallets only redeem under it.</summary>
    private async Task WaitForIssuingKeyAsync(CancellationToken ct)
    {
        using var chain = await ChainConnection.ConnectAsync(RpcUrl, ct: ct);
        var ledger = await LedgerClient.AttachAsync(chain, Ledger, ct: ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.ReadyTimeout);
        try
        {
            while (await ledger.GetCurrentIssuingKeyAsync(timeout.Token) is null)
            {
                if (Issuer.Process.HasExited)
                {
                    throw new ChildProcessException("the issuer stopped before its key was usable");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DevnetException($"the issuer's key was not usable on-chain within {Options.ReadyTimeout.TotalSeconds:0} s; see {Issuer.Process.LogPath}");
        }
    }

    private IEnumerable<string> IssuerArguments(string data, int http, int grpc, string key) =>
    [
        "issuer", "serve", "--data", data, "--name", Options.IssuerName,
        "--http", $"127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}",
        "--grpc", $"127.0.0.1:{grpc.ToString(CultureInfo.InvariantCulture)}",
        "--rpc", RpcUrl, "--ledger", Ledger, "--key", key,
        // Issued totals anchored every few seconds: the clearing house accepts no token beyond them.
        "--epoch", $"{Options.IssuedAnchorSeconds.ToString(CultureInfo.InvariantCulture)}s",
        "--devnet",
    ];

    private async Task StartRelayAsync(int index, IDevnetProgress progress, CancellationToken ct)
    {
        var name = RelayName(index);
        progress.Doing($"registering operator {(char)('A' + index)} and starting {name}");
        var payee = OperatorAccount(index);
        var payeeKey = KeyFile(OperatorRole(index));
        var operatorKey = Path.Combine(Options.KeyDirectory, $"{OperatorRole(index)}.operator.pem");
        await Runner.RunAsync($"{OperatorRole(index)}-register", [
            "operator", "register", "--clearing", Clearing.Address, "--operator-key", operatorKey, "--payee", payee.Address, "--key", payeeKey,
        ], ct: ct);

        var data = Path.Combine(Options.DataDirectory, name);
        var service = new DevnetService(Runner, name, [
            "relay", "serve", "--data", data, "--listen", "127.0.0.1:0",
            // The production wiring: keys and windows from the ledger's registry, judged at block time.
            "--metering", "tokens", "--devnet", "--rpc", RpcUrl, "--ledger", Ledger,
            "--metering-setting", $"issuerName={Options.IssuerName}",
            "--clearing", Clearing.Address, "--operator-key", operatorKey,
        ], l => l.StartsWith("sxl://", StringComparison.Ordinal));
        _services.Add(service);
        var address = await service.StartAsync(Options.ReadyTimeout, null, ct);
        service.Pin("--listen", "127.0.0.1:" + new Uri(address.Replace("sxl://", "https://", StringComparison.Ordinal)).Port.ToString(CultureInfo.InvariantCulture));
        _relays.Add(new RelayService(service, name, data, address, payee, payeeKey, operatorKey));
        RelaysRedeemAtClearingHouse = true;
        progress.Done($"{name} {address} (operator {(char)('A' + index)}, payee {payee.Address})");
    }

    /// <summary>
    /// When coturn is installed: coturn on a loopback port and, beside it, <c>sxl turn serve</c> run by operator A
    /// (its operator key, a data directory and redeemer id of its own), redeeming at the clearing house. Otherwise the
    /// devnet says how to install coturn and goes on without TURN.
    /// </summary>
    private async Task StartTurnAsync(IDevnetProgress progress, CancellationToken ct)
    {
        if (!Options.Turn)
        {
            TurnMissing = "TURN was left out (--no-turn)";
            return;
        }

        if (DevnetCoturn.Find() is not { } programs)
        {
            TurnMissing = DevnetCoturn.InstallHint;
            progress.Noted(DevnetCoturn.InstallHint);
            return;
        }

        progress.Doing("starting coturn and the TURN credential service (operator A)");
        var data = Path.Combine(Options.DataDirectory, "turn");
        _coturn = await DevnetCoturn.StartAsync(programs.Server, programs.Client, Path.Combine(data, "coturn"), Options.LogDirectory, Options.ReadyTimeout, ct);
        var relayA = _relays[0];
        var service = new DevnetService(Runner, "turn", [
            "turn", "serve", "--data", data, "--listen", "127.0.0.1:0",
            "--secret-file", _coturn.SecretFile, "--realm", DevnetCoturn.Realm, "--turn-url", _coturn.Url,
            "--credits-per-block", "1", "--block-minutes", "60",
            "--max-allocate-lifetime", DevnetCoturn.MaxAllocateLifetimeSeconds.ToString(CultureInfo.InvariantCulture),
            "--issuer-name", Options.IssuerName, "--devnet", "--rpc", RpcUrl, "--ledger", Ledger,
            "--clearing", Clearing.Address, "--operator-key", relayA.OperatorKeyFile,
        ], l => l.StartsWith("sxl://", StringComparison.Ordinal));
        _services.Add(service);
        var address = await service.StartAsync(Options.ReadyTimeout, null, ct);
        service.Pin("--listen", "127.0.0.1:" + new Uri(address.Replace("sxl://", "https://", StringComparison.Ordinal)).Port.ToString(CultureInfo.InvariantCulture));
        Turn = new TurnService(service, _coturn, data, address, relayA.Payee);
        progress.Done($"coturn {_coturn.Url} (realm {DevnetCoturn.Realm}); TURN credential service {address} (operator A: 1 token buys 60 min)");
    }

    private async Task FundVendorBatchAsync(IDevnetProgress progress, CancellationToken ct)
    {
        progress.Doing($"vendor: generating {Options.Cards} cards of {Options.CreditsPerCard} credits and funding them on-chain");
        var funded = await FundCardsAsync(string.Empty, "vendor", Options.Cards, Options.CreditsPerCard, ct);
        var batch = funded.Batch;
        Batch = new VendorBatch(batch.BatchIdHex, batch.RootHex, batch.Cards.Count, Options.CreditsPerCard, funded.CodesFile, funded.BatchFile, funded.Funding.Hash);
        progress.Done($"vendor batch {batch.BatchIdHex[..18]}…: {batch.TotalCredits} credits funded on-chain (tx {funded.Funding.Hash[..18]}…), given to the issuer and active");
    }

    /// <summary>
    /// As a vendor would: generate cards (`sxl vendor cards generate` into <paramref name="directory"/> under the data
    /// directory), fund the batch on-chain, give the issuer the hashes (`sxl issuer cards import`), and wait until the
    /// issuer activates them. The two commands' logs are named after <paramref name="logPrefix"/>; the codes stay with the caller.
    /// </summary>
    public async Task<FundedCards> FundCardsAsync(string logPrefix, string directory, int count, ulong creditsPerCard, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(logPrefix);
        var lines = await Runner.RunAsync(logPrefix + "vendor-generate", [
            "vendor", "cards", "generate", "--vendor", DevAccounts.Vendor.Address,
            "--value", creditsPerCard.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture),
            "--out", Path.Combine(Options.DataDirectory, directory),
        ], ct: ct);
        var codesFile = AfterColon(lines, "codes");
        var batchFile = AfterColon(lines, "batch file");
        var batch = SimpleXLedger.Cards.CardBatchFile.Read(batchFile);

        var vendor = await LedgerAsAsync(DevAccounts.Vendor, ct);
        ChainTransaction funding;
        using (vendor.Connection)
        {
            funding = await vendor.FundBatchAsync(batch.BatchId, batch.Root, batch.TotalCredits, ct);
        }

        await Runner.RunAsync(logPrefix + "issuer-import", ["issuer", "cards", "import", "--data", Issuer.DataDirectory, "--batch", batchFile], ct: ct);
        var codes = (await File.ReadAllLinesAsync(codesFile, ct)).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        await WaitForCardsActiveAsync(codes, ct);
        return new FundedCards(batch, batchFile, codesFile, funding, codes);
    }

    /// <summary>What is running where, for people and tools (no secrets: the dev keys are public test keys, and the codes stay in their own file).</summary>
    private void WriteDescription()
    {
        var description = new
        {
            rpc = RpcUrl,
            ledger = Ledger,
            keyRegistry = Chain.Deployment.KeyRegistry,
            token = Chain.Deployment.Token,
            issuer = new { name = Issuer.Name, http = Issuer.Http.ToString(), grpc = Issuer.Grpc.ToString() },
            clearing = Clearing.Address,
            relays = Relays.Select(r => new { name = r.Name, address = r.Address, payee = r.Payee.Address }).ToArray(),
            turn = Turn is null ? null : new { credentials = Turn.Address, coturn = Turn.Coturn.Url, realm = DevnetCoturn.Realm, payee = Turn.Payee.Address },
            vendor = new { address = DevAccounts.Vendor.Address, batch = Batch.BatchId, codesFile = Batch.CodesFile, batchFile = Batch.BatchFile },
        };
        File.WriteAllText(Path.Combine(Options.DataDirectory, "devnet.json"), JsonSerializer.Serialize(description, new JsonSerializerOptions { WriteIndented = true }));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    internal static string RelayName(int index) => $"relay-{(char)('a' + index)}";

    internal static string OperatorRole(int index) => $"operator-{(char)('a' + index)}";

    internal static DevAccount OperatorAccount(int index) => index switch
    {
        0 => DevAccounts.OperatorA,
        1 => DevAccounts.OperatorB,
        // Further relays take the spare dev accounts from the end.
        _ => DevAccounts.All[^(index - 1)],
    };

    /// <summary>A <c>key=value</c> field of a ready line.</summary>
    internal static string Field(string line, string key)
    {
        foreach (var part in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return part[(key.Length + 1)..];
            }
        }

        throw new DevnetException($"no {key}= in the line '{line}'");
    }

    private static string AfterColon(IReadOnlyList<string> lines, string prefix)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new DevnetException($"`sxl vendor cards generate` printed no '{prefix}' line");
        return line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
