using System.Globalization;
using System.Security.Cryptography;
using SimpleXLedger.Audit.Soak;
using SimpleXLedger.Audit.Storage;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Scenarios;
using SimpleXLedger.Hosting.Tracing;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Audit;

/// <summary>
/// The privacy audit (issue 9): a seeded population of careful wallets and one of careless control wallets redeem
/// cards and pay for queues at both relays through the real wallet code, on an accelerated shared clock (the wallets'
/// random top-up delays pass on that clock, not in real time); then the linkability adversary tries to link each
/// card to the queue it paid for, from the issuer's database and the relays' payments.
/// Seed and population from the environment: <c>SXL_AUDIT_SEED</c> (default: random, printed) and
/// <c>SXL_AUDIT_USERS</c> (default 200; CI runs fewer through the same code).
/// </summary>
public sealed partial class AuditScenario : IDevnetScenario
{
    public const string ScenarioName = "audit";
    public const string ScenarioDescription = "privacy audit: seeded careful and careless (control) users, the linkability adversary over the issuer's database and the relays' payments";
    public const string SeedVariable = "SXL_AUDIT_SEED";
    public const string UsersVariable = "SXL_AUDIT_USERS";
    public const string SoakSecondsVariable = "SXL_AUDIT_SOAK_SECONDS";
    public const string SoakUsersVariable = "SXL_AUDIT_SOAK_USERS";
    public const string CarefulMinTokenAgeVariable = "SXL_AUDIT_CAREFUL_MIN_TOKEN_AGE";
    private const ulong CreditsPerCard = 100;

    /// <summary>
    /// Simulated span of each phase (redeeming; then spending), on the wallets' clock. The devnet's keys are redeemable
    /// for 40 minutes, so the whole simulated run (two phases and the top-up delays) must fit well inside that.
    /// </summary>
    private static readonly TimeSpan Phase = TimeSpan.FromMinutes(5);

    /// <summary>The careful wallet's top-up delay, the design's exponential shape scaled down from 10 min (cap 1 h) to fit the devnet's key windows.</summary>
    private static readonly DelayDistribution CarefulDelay = DelayDistribution.Exponential(TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10));

    /// <summary>The careful wallet's minimum token age, the default (1 h) scaled down like the delay, to fit the same windows.</summary>
    private static readonly TimeSpan CarefulMinTokenAge = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The careful wallets' minimum token age: <see cref="CarefulMinTokenAge"/>, or <c>SXL_AUDIT_CAREFUL_MIN_TOKEN_AGE</c>
    /// (a duration such as <c>0s</c>): with <c>0s</c> the audit shows what the wallet's old default let the adversary see.
    /// </summary>
    private static TimeSpan CarefulMinTokenAgeSetting() =>
        Environment.GetEnvironmentVariable(CarefulMinTokenAgeVariable) is { Length: > 0 } text
            ? Durations.TryParse(text, out var age) ? age : throw new ScenarioCheckException($"{CarefulMinTokenAgeVariable} is a duration like 0s or 2m")
            : CarefulMinTokenAge;

    /// <summary>The share of users who make their first queue right after redeeming their card (new users starting at once).</summary>
    private const double NewUserShare = 0.25;

    private DevnetNetwork _network = null!;
    private IDevnetProgress _progress = null!;
    private IssuerSession _issuer = null!;
    private readonly List<RelayPayment> _payments = [];
    private readonly List<WireService> _wire = [];
    private int _turnPurchases;
    private readonly SimulatedTimeline _timeline = new();
    private readonly List<(string Kind, byte[] Value)> _secrets = [];
    private readonly List<(string Kind, string Text)> _secretTexts = [];

    public string Name => ScenarioName;

    public string Description => ScenarioDescription;

    /// <summary>The seed (<c>sxl devnet --seed</c>); null: <c>SXL_AUDIT_SEED</c>, else random. Printed, so a run replays.</summary>
    public ulong? Seed { get; set; }

    /// <summary>Users per population (<c>--users</c>); null: <c>SXL_AUDIT_USERS</c>, else 200.</summary>
    public int? Users { get; set; }

    /// <summary>Seconds of the soak (<c>--soak-seconds</c>, 0 skips it); null: <c>SXL_AUDIT_SOAK_SECONDS</c>, else 120.</summary>
    public int? SoakSeconds { get; set; }

    /// <summary>Concurrent users of the soak (<c>--soak-users</c>); null: <c>SXL_AUDIT_SOAK_USERS</c>, else 32.</summary>
    public int? SoakUsers { get; set; }

    /// <summary>Every service keeps a request trace (what any operator could record): the adversary gets it.</summary>
    public DevnetOptions Configure(DevnetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var environment = new Dictionary<string, string?>(options.Environment ?? new Dictionary<string, string?>(), StringComparer.Ordinal)
        {
            [RequestTracing.EnvironmentVariable] = "1",
        };
        // Epochs of at most 10 s of block time: the fault section waits on epoch closes (crashes mid-close, the chain cut while anchoring).
        return options with { Environment = environment, EpochSeconds = Math.Min(options.EpochSeconds, 10) };
    }

    public async Task<ScenarioReport> RunAsync(DevnetNetwork network, IDevnetProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(progress);
        _network = network;
        _progress = progress;
        var seed = Seed ?? (Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } s ? ulong.Parse(s, CultureInfo.InvariantCulture) : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        var users = Users ?? (Environment.GetEnvironmentVariable(UsersVariable) is { Length: > 0 } u ? int.Parse(u, CultureInfo.InvariantCulture) : 200);
        var soakSeconds = SoakSeconds ?? (Environment.GetEnvironmentVariable(SoakSecondsVariable) is { Length: > 0 } ss ? int.Parse(ss, CultureInfo.InvariantCulture) : 120);
        var soakUsers = soakSeconds <= 0 ? 0 : SoakUsers ?? (Environment.GetEnvironmentVariable(SoakUsersVariable) is { Length: > 0 } su ? int.Parse(su, CultureInfo.InvariantCulture) : 32);
        progress.Noted($"audit seed {seed} (replay with --seed {seed}), {users} users per population");
        var steps = new ScenarioSteps(progress);
        var report = new AuditReport { Seed = seed, Users = users, Steps = steps.Records };
        IReadOnlyList<string> codes = [];
        var careful = new Population("careful", SpendingPolicy.Careful with { TopUpDelay = CarefulDelay, MinTokenAge = CarefulMinTokenAgeSetting() });
        var control = new Population("control", SpendingPolicy.Careless);

        _issuer = await IssuerConnection.OpenAsync(new IssuerEndpoint(network.Issuer.Grpc, network.Issuer.Http), IssuerKeyTrust.Registry(network.RpcUrl, network.Ledger), cancellationToken: ct);
        try
        {
            await steps.RunAsync("vendor funds the audit's cards", async () =>
            {
                codes = await FundCardsAsync((2 * users) + soakUsers, ct);
                return $"{codes.Count} cards of {CreditsPerCard} credits";
            }, ct);
            await steps.RunAsync("careful users redeem and spend", () => PlayAsync(careful, codes.Take(users).ToList(), seed, ct), ct, "vendor funds the audit's cards");
            await steps.RunAsync("control users redeem and spend", () => PlayAsync(control, codes.Skip(users).Take(users).ToList(), seed ^ 0x5A5A5A5A5A5A5A5AUL, ct), ct, "vendor funds the audit's cards");
            await steps.RunAsync(WireStep, () => Task.FromResult(Wire(report)), ct, "careful users redeem and spend", "control users redeem and spend");
            await steps.RunAsync("adversary links cards to queues", () => AdversaryAsync(careful, control, report, ct), ct, "careful users redeem and spend", "control users redeem and spend");
            await steps.RunAsync("faults: every service killed (SIGKILL) and restarted, the chain cut away", () => FaultsAsync(seed, users, report, ct), ct);
            await steps.RunAsync("no value shared between issuer and relays or clearing house", () => Task.FromResult(SharedValues(report)), ct, "careful users redeem and spend", "control users redeem and spend");
            await steps.RunAsync("no secret in any log", () => Task.FromResult(LogLeaks(codes, report)), ct, "careful users redeem and spend", "control users redeem and spend");
            if (soakUsers > 0)
            {
                var soak = new SoakOptions { Duration = TimeSpan.FromSeconds(soakSeconds), Users = soakUsers, Seed = seed };
                await steps.RunAsync("soak: concurrent users at both relays", () => SoakAsync([.. codes.Skip(2 * users)], soak, progress, report, ct), ct, "vendor funds the audit's cards");
            }
            await steps.RunAsync("fuzz: bad input to every endpoint of every service", () => FuzzAsync(seed, report, ct), ct);
        }
        finally
        {
            _issuer.Dispose();
        }

        return report;
    }

    /// <summary>Where each population's proxies listen (loopback, each service's own port).</summary>
    private static readonly System.Net.IPAddress CarefulWire = new([127, 0, 3, 1]);

    private static readonly System.Net.IPAddress ControlWire = new([127, 0, 3, 2]);

    private const string WireStep = "wallets' TLS on the wire: no resumption, no reused fresh connection";

    /// <summary>Users per population who also buy TURN credentials.</summary>
    private const int TurnBuyers = 2;

    /// <summary>
    /// What the proxies saw: a wallet offering a pre-shared key (TLS 1.3 resumption) or a TLS 1.2 session ticket to any
    /// service, or making fewer relay connections than operations it promised a connection of their own, fails the run.
    /// The proxies must have been in the path (every relay and the issuer saw handshakes).
    /// </summary>
    private string Wire(AuditReport report)
    {
        report.Wire = [.. _wire];
        var hellos = _wire.Sum(w => w.ClientHellos);
        var psk = _wire.Sum(w => w.PreSharedKeys);
        var tickets = _wire.Sum(w => w.SessionTickets);
        var reused = _wire.Sum(w => w.FreshReused);
        var promised = _wire.Sum(w => w.FreshPromised);
        // The proxies were in the path: every relay (TLS, pinned) saw wallets' handshakes, the issuer their connections
        // (the devnet issuer serves loopback in plain HTTP: nothing there to resume, counted as plaintext).
        var unseen = _wire.Where(w => w.Service.StartsWith("relay-", StringComparison.Ordinal) ? w.ClientHellos == 0 : w.Service == "issuer-grpc" && w.Connections == 0).Select(w => $"{w.Population}/{w.Service}").ToList();
        ScenarioCheckException.That(unseen.Count == 0, $"no wallet connection passed the proxy of {string.Join(", ", unseen)}: the wire was not watched");
        var plaintext = _wire.Where(w => w.Plaintext > 0).Select(w => w.Service).Distinct().ToList();
        ScenarioCheckException.That(psk == 0 && tickets == 0, $"wallets offered TLS resumption: {string.Join("; ", _wire.Where(w => w.PreSharedKeys + w.SessionTickets > 0).Select(w => $"{w.Population}/{w.Service}: {w.PreSharedKeys} pre_shared_key, {w.SessionTickets} session tickets"))}");
        ScenarioCheckException.That(reused == 0, $"wallets reused connections they promised were fresh: {string.Join("; ", _wire.Where(w => w.FreshReused > 0).Select(w => $"{w.Population}/{w.Service}: {w.FreshPromised} operations on {w.Connections} connections"))}");
        return $"{hellos} ClientHellos from wallets at {_wire.Where(w => w.ClientHellos > 0).Select(w => w.Service).Distinct().Count()} of {_wire.Select(w => w.Service).Distinct().Count()} proxied services: 0 pre_shared_key, 0 session tickets; {promised} relay operations promised a fresh connection, none reused; {_turnPurchases} TURN purchases; plain HTTP (no TLS to check) at {(plaintext.Count == 0 ? "none" : string.Join(", ", plaintext))}";
    }

    /// <summary>The fault section (Faults/): its wallets' codes and secrets join the log check that follows.</summary>
    private async Task<string> FaultsAsync(ulong seed, int users, AuditReport report, CancellationToken ct)
    {
        var faults = await Faults.FaultsRunner.RunAsync(_network, _progress, Faults.FaultPlan.Create(seed, users, Faults.FaultPlan.KillsFromEnvironment()), ct);
        report.Faults = faults.Result;
        _secrets.AddRange(faults.Secrets);
        _secretTexts.AddRange(faults.Codes.SelectMany(c => new[] { ("card code", c), ("card code", CardCode.Parse(c).Reveal()) }));
        ScenarioCheckException.That(faults.Result.Passed, faults.Result.Summary());
        return faults.Result.Summary();
    }

    private async Task<string> AdversaryAsync(Population careful, Population control, AuditReport report, CancellationToken ct)
    {
        var redemptions = LinkabilityAdversary.ReadIssuer(ServiceStorage.IssuerDatabase(_network.Issuer.DataDirectory));
        var traces = await TraceEvidence.ReadFlushedAsync(_network, redemptions, _payments, ct);
        var chain = await ChainEvidence.ReadIssuanceAsync(_network, ct);

        (double Best, IReadOnlyList<StrategyResult> All) Attack(Population p)
        {
            var cards = p.Truth.Keys.ToHashSet(StringComparer.Ordinal);
            var queues = p.Truth.Values.ToHashSet(StringComparer.Ordinal);
            // The adversary knows the wallet's public policy, its minimum token age included. The services recorded
            // wall-clock times of a run played faster than life: it compares them on the users' own clock.
            var links = LinkabilityAdversary.Link(redemptions, [.. _payments.Where(x => queues.Contains(x.Relay + "/" + x.Queue))], cards, traces, p.Policy.MinTokenAge, _timeline.Map, chain);
            var scores = LinkabilityAdversary.Score(links, p.Truth);
            return (scores.Max(x => x.Accuracy), scores);
        }

        var (accuracy, strategies) = Attack(careful);
        var (controlAccuracy, controlStrategies) = Attack(control);
        var (chance, margin) = LinkabilityAdversary.ChanceAndMargin(careful.Truth.Count);
        report.Adversary = new AdversaryResult(accuracy, chance, margin, controlAccuracy, careful.Truth.Count, control.Truth.Count, strategies, controlStrategies, redemptions.Count, _payments.Count, traces.Count, chain.Count);
        ScenarioCheckException.That(accuracy <= chance + margin, $"the adversary linked {accuracy:P2} of careful users, beyond chance {chance:P2} + margin {margin:P2}");
        ScenarioCheckException.That(controlAccuracy >= 0.9, $"the adversary linked only {controlAccuracy:P2} of control users (needs ≥ 90% to be competent)");
        return $"careful: accuracy {accuracy:P2} (chance {chance:P2}, margin {margin:P2}); control: {controlAccuracy:P2}; evidence: {redemptions.Count} issuer rows, {_payments.Count} relay payments, {traces.Count} traced requests, {chain.Count} issued totals anchored on-chain";
    }

    private async Task<string> SoakAsync(IReadOnlyList<string> codes, SoakOptions options, IDevnetProgress progress, AuditReport report, CancellationToken ct)
    {
        var result = await SoakRun.RunAsync(_network, _issuer, codes, options, progress, ct);
        report.Soak = result;
        ScenarioCheckException.That(result.Failures == 0, $"{result.Failures} soak operations failed: {string.Join(", ", result.FailureKinds)}");
        ScenarioCheckException.That(result.MessagesReceived == result.MessagesSent, $"the relays acknowledged {result.MessagesSent} messages but {result.MessagesReceived} were received");
        ScenarioCheckException.That(result.MemoryBounded, $"memory grew beyond the bound: {string.Join("; ", result.Memory.Where(m => !m.Bounded).Select(m => $"{m.Service} last quarter {m.LastQuarterMaxBytes / 1048576.0:F0} MiB > allowed {m.AllowedBytes / 1048576.0:F0} MiB"))}");
        return result.Summary();
    }

    /// <summary>Makes cards, funds them on-chain and gives the issuer their hashes (the codes stay with the scenario).</summary>
    private async Task<IReadOnlyList<string>> FundCardsAsync(int count, CancellationToken ct)
    {
        var codes = (await _network.FundCardsAsync("audit-", Path.Combine("audit", "vendor"), count, CreditsPerCard, ct)).Codes;
        ScenarioCheckException.That(codes.Count == count, $"the codes file has {codes.Count} codes, not {count}");
        return codes;
    }

    /// <summary>
    /// Plays one population on its own accelerated clock: each user redeems its card at a random moment of the first
    /// phase and makes a queue at a random relay at a random moment of the second — or, for a new user (one in
    /// <see cref="NewUserShare"/>), seconds after redeeming, as an app that makes the first queue once the credit is in; the
    /// wallet's own top-ups follow at the delays its policy draws. A wallet that refuses to spend tokens this young is
    /// asked again when it says. Events run in the order of that clock, as fast as the network answers.
    /// </summary>
    private async Task<string> PlayAsync(Population population, IReadOnlyList<string> codes, ulong seed, CancellationToken ct)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var start = clock.GetUtcNow();
        var plan = new SeededRandomSource(seed);
        var walletDir = Path.Combine(_network.Options.DataDirectory, "audit", population.Name);
        Directory.CreateDirectory(walletDir);
        var events = new PriorityQueue<(int User, bool Redeem), DateTimeOffset>();
        var deferred = 0;
        var users = new List<(UserWallet Wallet, string Code, string Relay, string Label)>();
        // Every service these wallets talk to sits behind a proxy that reads each ClientHello (issue 21, point 1).
        await using var wire = WalletWire.Start(_network, population.Name, population.Name == "careful" ? CarefulWire : ControlWire);
        using var issuer = await IssuerConnection.OpenAsync(wire.Issuer, IssuerKeyTrust.Registry(_network.RpcUrl, _network.Ledger), cancellationToken: ct);
        var turnBuyers = 0;
        try
        {
            for (var i = 0; i < codes.Count; i++)
            {
                var passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
                var wallet = await UserWallet.CreateAsync(Path.Combine(walletDir, $"user-{i}.sxlw"), passphrase, KdfParameters.WeakForTests, new WalletOptions
                {
                    Time = clock,
                    Random = new SeededRandomSource(seed + 1 + (ulong)i),
                    Spending = population.Policy,
                    Issuer = issuer,
                    Relays = population.Policy.ConnectionPerOperation ? wire.Fresh : null,
                });
                var relay = _network.Relays[(int)(plan.NextUInt64() % (ulong)_network.Relays.Count)].Address;
                var label = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                users.Add((wallet, codes[i], relay, label));

                // Every top-up the wallet pays, scheduled or (careless) at once, as the relay sees it arrive.
                wallet.TopUps.Completed += o =>
                {
                    if (o.TokensPaid > 0)
                    {
                        _payments.Add(new RelayPayment(DateTimeOffset.UtcNow, relay, label, o.TokensPaid));
                    }
                };
                var redeemAt = start + (Phase * plan.NextUnit());
                events.Enqueue((i, true), redeemAt);
                var spendAt = start + Phase + (Phase * plan.NextUnit());
                if (plan.NextUnit() < NewUserShare)
                {
                    spendAt = redeemAt + TimeSpan.FromSeconds(1 + (4 * plan.NextUnit()));
                }

                events.Enqueue((i, false), spendAt);
            }

            var before = _payments.Count;
            while (events.TryDequeue(out var e, out var at))
            {
                await RunDueTopUpsAsync(users, clock, at, ct);
                clock.SetTo(at);
                _timeline.Record(DateTimeOffset.UtcNow, clock.GetUtcNow());
                var user = users[e.User];
                if (e.Redeem)
                {
                    await user.Wallet.RedeemCardAsync(user.Code, issuer, ct);
                    population.Truth[CardCode.Parse(user.Code).ComputeHash().ToString()] = user.Relay + "/" + user.Label;
                }
                else
                {
                    try
                    {
                        await user.Wallet.CreateQueueAsync(PinnedAddress.Parse(wire.Relay(user.Relay)), "inbox", cancellationToken: ct);
                    }
                    catch (TokensTooYoungException young)
                    {
                        // The user comes back when the wallet says (it adds a random delay to the tokens' coming of age).
                        deferred++;
                        events.Enqueue(e, young.RetryAt > at ? young.RetryAt : at + TimeSpan.FromSeconds(1));
                        continue;
                    }

                    _payments.Add(new RelayPayment(DateTimeOffset.UtcNow, user.Relay, user.Label, 1));
                    if (wire.Turn is { } turn && turnBuyers < TurnBuyers)
                    {
                        // A few users also buy TURN credentials (a call), so the TURN service's handshakes are seen too.
                        turnBuyers++;
                        await user.Wallet.BuyTurnCredentialsAsync(PinnedAddress.Parse(turn), ct);
                        Interlocked.Increment(ref _turnPurchases);
                    }
                }
            }

            await RunDueTopUpsAsync(users, clock, DateTimeOffset.MaxValue, ct);
            return $"{codes.Count} users, {_payments.Count - before} payments over {(clock.GetUtcNow() - start).TotalHours:F1} simulated hours; {deferred} queue creations deferred by the wallet until its tokens were old enough";
        }
        finally
        {
            _wire.AddRange(wire.Figures());
            foreach (var u in users)
            {
                CollectSecrets(u.Wallet);
                await u.Wallet.DisposeAsync();
            }
        }
    }

    /// <summary>Runs, in the clock's order, every top-up due before <paramref name="until"/>; each paid one is a relay payment.</summary>
    private async Task<int> RunDueTopUpsAsync(List<(UserWallet Wallet, string Code, string Relay, string Label)> users, ManualClock clock, DateTimeOffset until, CancellationToken ct)
    {
        var paid = 0;
        var stuck = new HashSet<int>();
        while (true)
        {
            var next = users
                .Select((u, i) => (Due: u.Wallet.Queues.FirstOrDefault()?.TopUpDue, i))
                .Where(x => x.Due is { } d && d < until && !stuck.Contains(x.i))
                .OrderBy(x => x.Due)
                .FirstOrDefault();
            if (next.Due is not { } due)
            {
                return paid;
            }

            if (due > clock.GetUtcNow())
            {
                clock.SetTo(due);
                _timeline.Record(DateTimeOffset.UtcNow, clock.GetUtcNow());
            }

            var user = users[next.i];
            var outcomes = await user.Wallet.TopUps.RunDueAsync(ct);
            paid += outcomes.Count(o => o.TokensPaid > 0);

            if (outcomes.All(o => o.TokensPaid == 0))
            {
                // Nothing this wallet can pay now (out of tokens): leave it, or the loop would spin.
                stuck.Add(next.i);
            }
        }
    }

    /// <summary>What the log check looks for from a wallet: its queue's sender id and key seed, its unspent tokens.</summary>
    private void CollectSecrets(UserWallet wallet)
    {
        foreach (var q in wallet.Queues)
        {
            if (q.SenderLink is { } link)
            {
                _secrets.Add(("queue id", link.SenderId));
                if (link.SenderKeySeed is { } seed)
                {
                    _secrets.Add(("queue private key", seed));
                }
            }
        }

        if (wallet.AvailableTokens > 0)
        {
            foreach (var token in wallet.WithdrawTokens(wallet.AvailableTokens))
            {
                // A token's challenge digest and key id are the same in every token (public); its nonce and authenticator are its own.
                _secrets.Add(("token authenticator", token.Authenticator.ToArray()));
                _secrets.Add(("nonce", token.Nonce.ToArray()));
            }
        }
    }

    private string SharedValues(AuditReport report)
    {
        // The request traces hold only times, call names, counts and statuses (their strict reader refuses anything
        // else), and are searched for secrets with the logs; their times are shared by nature, and the adversary uses them.
        var traceFiles = ServiceTraces.Files(_network).Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        var issuerFiles = Directory.GetFiles(_network.Issuer.DataDirectory, "*", SearchOption.AllDirectories).Where(f => !traceFiles.Contains(Path.GetFullPath(f))).ToArray();
        var otherFiles = _network.Relays.Select(r => r.DataDirectory).Append(_network.Clearing.DataDirectory)
            .SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories)).Where(f => !traceFiles.Contains(Path.GetFullPath(f))).ToList();
        var whitelist = PublicValues.Collect(_network);
        var found = SharedValueScanner.Scan(issuerFiles, otherFiles, whitelist);
        report.SharedValues = found.Count;
        report.SharedValueFindings = [.. found.Select(f => $"{Path.GetRelativePath(_network.Options.DataDirectory, f.IssuerFile)} and {Path.GetRelativePath(_network.Options.DataDirectory, f.OtherFile)} @{f.Offset}: {f.Length} bytes ({f.Preview})")];
        ScenarioCheckException.That(found.Count == 0, $"{found.Count} values of 16 bytes or more stored both by the issuer and by a relay or the clearing house: {string.Join("; ", report.SharedValueFindings.Take(5))}");
        return $"{issuerFiles.Length} issuer files against {otherFiles.Count} relay and clearing-house files: nothing shared but {whitelist.Count} whitelisted public encodings";
    }

    private string LogLeaks(IReadOnlyList<string> codes, AuditReport report)
    {
        var texts = new List<(string Kind, string Text)>(_secretTexts);
        foreach (var code in codes)
        {
            texts.Add(("card code", code));
            texts.Add(("card code", CardCode.Parse(code).Reveal()));
        }

        var secrets = new List<(string Kind, byte[] Value)>(_secrets);
        secrets.AddRange(PublicValues.SpentNonces(_network.Clearing.DataDirectory).Select(n => ("nonce", n)));
        secrets.AddRange(PublicValues.PrivateKeys(_network));
        var logs = Directory.GetFiles(_network.Options.LogDirectory, "*", SearchOption.AllDirectories).Concat(ServiceTraces.Files(_network)).ToArray();
        var leaks = LogLeakScanner.Scan(logs, secrets, texts);
        report.LogLeaks = leaks.Count;
        report.LogLeakFindings = [.. leaks.GroupBy(l => (l.Kind, l.File)).Select(g => $"{g.Key.Kind} in {Path.GetFileName(g.Key.File)} ×{g.Count()}")];
        ScenarioCheckException.That(leaks.Count == 0, $"{leaks.Count} secrets in the logs: {string.Join("; ", report.LogLeakFindings)}");
        var kinds = secrets.Select(s => s.Kind).Concat(texts.Select(t => t.Kind)).GroupBy(k => k).Select(g => $"{g.Count()} {g.Key}s");
        return $"{logs.Length} logs searched for {string.Join(", ", kinds)}: none found";
    }

    private sealed class Population(string name, SpendingPolicy policy)
    {
        public string Name { get; } = name;

        public SpendingPolicy Policy { get; } = policy;

        /// <summary>Card hash → the queue ("relay/label") its tokens paid for: what the adversary tries to find.</summary>
        public Dictionary<string, string> Truth { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>The wallets' accelerated clock: it moves only when the scenario moves it.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void SetTo(DateTimeOffset at)
    {
        if (at > _now)
        {
            _now = at;
        }
    }
}
