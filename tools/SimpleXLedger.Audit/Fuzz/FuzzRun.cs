using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>A service stopped answering its own read calls (or its process is gone).</summary>
internal sealed class ServiceDownException(string message) : Exception(message);

/// <summary>
/// The bad-input audit: every gRPC and HTTP endpoint of every service gets malformed, truncated, oversized and random
/// input, structure-aware and raw, many cases at a time, each drawn from its own seed (replayable alone). Between
/// windows of cases every service must still be alive and answer its own reads, and nothing it keeps may have changed
/// (the state digests); each case's answer must be a typed refusal (or a harmless success) that repeats no secret.
/// </summary>
internal static class FuzzRun
{
    public static IReadOnlyList<IFuzzFamily> Families { get; } =
    [
        new IssuerRedeemFamily(), new IssuerGetCardFamily(), new IssuerGetDirectoryFamily(),
        new IssuerTokenRequestFamily(), new IssuerHttpOtherFamily(), new IssuerRawFamily(),
        new RelayHelloFamily(), new RelayExecuteFamily(), new RelaySubscribeFamily(), new RelaySessionFamily(),
        new ClearingRedeemFamily(), new ClearingRegisterFamily(), new ClearingReadFamily(),
        new RawFrameFamily(), new RawTlsFamily(),
        new TurnBuyFamily(), new TurnInfoFamily(),
    ];

    private static readonly int TotalWeight = Families.Sum(f => f.Weight);

    /// <summary>The family a case seed picks (the first draw of its randomness).</summary>
    public static IFuzzFamily FamilyOf(FuzzRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var pick = random.Next(TotalWeight);
        foreach (var family in Families)
        {
            if (pick < family.Weight)
            {
                return family;
            }

            pick -= family.Weight;
        }

        return Families[^1];
    }

    public static async Task<FuzzReport> RunAsync(FuzzTargets targets, FuzzOptions options, Action<string> note, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(note);
        var report = new FuzzReport { Seed = options.Seed, RequestedCases = options.Replay.Count > 0 ? options.Replay.Count : options.Cases, Concurrency = options.Replay.Count > 0 ? 1 : options.Concurrency };
        var setup = Stopwatch.StartNew();
        await using var fixture = await FuzzFixture.CreateAsync(targets, note, ct);
        report.SetupSeconds = setup.Elapsed.TotalSeconds;
        var context = new FuzzContext(fixture);
        var clock = Stopwatch.StartNew();
        try
        {
            var before = await DigestAsync(context, ct);
            var first = before;
            if (options.Replay.Count > 0)
            {
                note($"replaying {options.Replay.Count} cases one at a time");
                var index = 0L;
                foreach (var seed in options.Replay)
                {
                    await CaseByCaseAsync(context, report, [(index++, seed)], before, ct);
                    before = await DigestAsync(context, ct);
                }
            }
            else
            {
                before = await WindowsAsync(context, options, report, before, note, ct);
            }

            foreach (var (name, value) in before.Values.Where(v => v.Key.StartsWith(StateDigest.InfoPrefix, StringComparison.Ordinal)))
            {
                report.Info[name[StateDigest.InfoPrefix.Length..]] = value - first[name];
            }

            // How often a relay closed a session lane's connection (the lane said Hello again on the new one).
            report.Info["relaySessionsRenewed"] = fixture.Relays.Sum(r => r.Sessions.Sum(s => (long)s.Renewals));
        }
        catch (ServiceDownException e)
        {
            report.Crashes++;
            report.CrashDetails.Add(e.Message);
        }

        report.Seconds = clock.Elapsed.TotalSeconds;
        ScanLogs(fixture, report);
        return report;
    }

    private static async Task<StateDigest> WindowsAsync(FuzzContext context, FuzzOptions options, FuzzReport report, StateDigest before, Action<string> note, CancellationToken ct)
    {
        var attributed = 0;
        var lastNote = Stopwatch.StartNew();
        for (long start = 0; start < options.Cases; start += options.Window)
        {
            var end = Math.Min(start + options.Window, options.Cases);
            var next = start - 1;
            var workers = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(
                async () =>
                {
                    long i;
                    while ((i = Interlocked.Increment(ref next)) < end)
                    {
                        var seed = FuzzRandom.CaseSeed(options.Seed, i);
                        var result = await RunCaseAsync(context, seed, ct);
                        report.Add(i, seed, result);
                        ThrowIfAnyServiceDied(context.Fixture.Targets, $"after case {i} (case seed {seed:x16}, {result.Endpoint}: {result.Mutation}; up to {options.Concurrency} cases were in flight)");
                    }
                },
                ct));
            await Task.WhenAll(workers);
            report.Windows++;

            var after = await DigestAsync(context, ct);
            var changes = StateDigest.Differences(before, after);
            if (changes.Count > 0)
            {
                report.StateChanges += changes.Count;
                report.StateChangeDetails.Add($"cases {start}–{end - 1}: {string.Join("; ", changes)}");
                if (attributed++ < 2)
                {
                    // Which cases: the window again, one case at a time, a digest around each.
                    note($"state changed in cases {start}–{end - 1} ({string.Join("; ", changes)}); looking for the case");
                    var cases = new List<(long, ulong)>();
                    for (var i = start; i < end; i++)
                    {
                        cases.Add((i, FuzzRandom.CaseSeed(options.Seed, i)));
                    }

                    after = await CaseByCaseAsync(context, report, cases, after, ct, countCases: false);
                }
            }

            before = after;
            context.Fixture.KnownTruncatedKeyIds = StateDigest.IssuerTruncatedKeyIds(context.Fixture.Targets.IssuerDataDirectory);
            if (lastNote.Elapsed > TimeSpan.FromSeconds(20))
            {
                note($"{end} of {options.Cases} cases: {report.Untyped} untyped, {report.Hangs} hangs, {report.StateChanges} state changes so far");
                lastNote.Restart();
            }
        }

        return before;
    }

    /// <summary>Runs cases one at a time with a digest after each; a changed digest is that case's finding.</summary>
    private static async Task<StateDigest> CaseByCaseAsync(FuzzContext context, FuzzReport report, IReadOnlyList<(long Index, ulong Seed)> cases, StateDigest before, CancellationToken ct, bool countCases = true)
    {
        foreach (var (index, seed) in cases)
        {
            var result = await RunCaseAsync(context, seed, ct);
            if (countCases)
            {
                report.Add(index, seed, result);
            }

            var after = await DigestAsync(context, ct);
            var changes = StateDigest.Differences(before, after);
            if (changes.Count > 0)
            {
                if (countCases)
                {
                    report.StateChanges += changes.Count;
                }

                report.AddFinding(new FuzzFinding(index, seed, result.Endpoint, result.Mutation, $"{result.Answer}; changed {string.Join("; ", changes)}", "state-change"));
            }

            before = after;
        }

        return before;
    }

    private static async Task<CaseResult> RunCaseAsync(FuzzContext context, ulong seed, CancellationToken ct)
    {
        var random = new FuzzRandom(seed);
        var family = FamilyOf(random);
        try
        {
            return await family.RunAsync(random, context, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The fuzzer's own client failing is not the service's answer, but it must not pass unseen.
            return new CaseResult(family.Endpoint, "(the case itself failed)", $"client error {e.GetType().Name}: {e.Message}", Verdict.Untyped);
        }
    }

    /// <summary>Each process still running (free to ask, so asked after every case): a crash is pinned to the cases around it.</summary>
    private static void ThrowIfAnyServiceDied(FuzzTargets t, string when)
    {
        (string Name, Func<bool> Alive)[] turn = t.Turn is { } s ? [("TURN credential service", s.Alive)] : [];
        foreach (var (name, alive) in new[] { ("issuer", t.IssuerAlive), ("clearing house", t.ClearingAlive) }.Concat(t.Relays.Select(r => (r.Name, r.Alive))).Concat(turn))
        {
            if (!alive())
            {
                throw new ServiceDownException($"the {name} process exited, seen {when}");
            }
        }
    }

    /// <summary>Every service alive and answering its own reads, and what it keeps, from its database and those reads.</summary>
    private static async Task<StateDigest> DigestAsync(FuzzContext context, CancellationToken ct)
    {
        var f = context.Fixture;
        var t = f.Targets;
        ThrowIfAnyServiceDied(t, "at a state digest");

        var digest = new StateDigest();
        StateDigest.ReadIssuer(digest, t.IssuerDataDirectory);
        foreach (var r in t.Relays)
        {
            StateDigest.ReadRelay(digest, r.Name, r.DataDirectory, DateTimeOffset.UtcNow);
        }

        StateDigest.ReadClearing(digest, t.ClearingDataDirectory, f.Operator.PublicKey);
        if (t.Turn is { } turnService && f.Turn is { } turnLane)
        {
            StateDigest.ReadTurn(digest, turnService.DataDirectory, DateTimeOffset.UtcNow);
            var info = await turnLane.GrpcAsync("/sxl.turn.v1.Turn/Info", Lane.Frame([]), FuzzContext.Deadline, ct);
            if (info.GrpcStatus != 0)
            {
                throw new ServiceDownException($"the TURN credential service did not answer Info: {Describe(info)}");
            }
        }

        // The services' own reads: the untouched card and the replay card at the issuer, the fuzzer's queues.
        foreach (var (label, code) in new[] { ("valid", f.ValidCode), ("replay", f.ReplayCode), ("spent", f.SpentCode) })
        {
            var answer = await f.IssuerGrpc.GrpcAsync("/sxl.issuer.v1.Issuer/GetCard", Lane.Frame(new GetCardRequest { CardCode = code }.ToByteArray()), FuzzContext.Deadline, ct);
            var card = answer.GrpcStatus == 0 && answer.Messages.Count == 1 ? CardInfo.Parser.ParseFrom(answer.Messages[0]) : throw new ServiceDownException($"the issuer did not answer GetCard: {Describe(answer)}");
            digest.Add($"issuer.{label}Card.remaining", (long)card.RemainingCredits);
            digest.Add($"issuer.{label}Card.state", (long)card.State);
        }

        var directory = await f.IssuerHttp.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(f.IssuerHttp.BaseUri, "/.well-known/private-token-issuer-directory")), FuzzContext.Deadline, 1 << 20, ct);
        if (directory.HttpStatus != 200)
        {
            throw new ServiceDownException($"the issuer's directory answered {Describe(directory)}");
        }

        foreach (var relay in f.Relays)
        {
            var info = await QueueInfoAsync(relay, ct);
            digest.Add($"{relay.Relay.Name}.fuzzQueue.secured", info.Secured ? 1 : 0);
            digest.Add($"{relay.Relay.Name}.fuzzQueue.suspended", info.Suspended ? 1 : 0);
            digest.Add($"{relay.Relay.Name}.fuzzQueue.pending", info.PendingMessages);
            digest.Add($"{relay.Relay.Name}.fuzzQueue.balance", info.Balance?.Amount ?? 0);
        }

        var clearing = await f.Clearing.GrpcAsync("/sxl.clearing.v1.ClearingHouse/GetInfo", Lane.Frame([]), FuzzContext.Deadline, ct);
        if (clearing.GrpcStatus != 0)
        {
            throw new ServiceDownException($"the clearing house did not answer GetInfo: {Describe(clearing)}");
        }

        return digest;
    }

    /// <summary>The fuzzer's queue as its relay reports it (GetQueueInfo, signed on the first session lane; Hello again if the connection was renewed).</summary>
    private static async Task<QueueInfo> QueueInfoAsync(RelayFixture relay, CancellationToken ct)
    {
        var lane = relay.Sessions[0];
        for (var attempt = 0; ; attempt++)
        {
            var command = new Command { CorrelationId = ByteString.CopyFromUtf8("digest"), EntityId = ByteString.CopyFrom(relay.RecipientId), Info = new GetQueueInfo() };
            var transmission = RelayProtocol.Sign(command, relay.RecipientKey, lane.Nonce);
            var answer = await lane.Lane.GrpcAsync("/sxl.relay.v1.Relay/Execute", Lane.Frame(transmission.ToByteArray()), FuzzContext.Deadline, ct);
            if (answer.GrpcStatus == 0 && answer.Messages.Count == 1)
            {
                return Reply.Parser.ParseFrom(answer.Messages[0]).Info;
            }

            if (attempt == 0 && answer.Reason is nameof(ErrorCode.NoSession) or nameof(ErrorCode.Auth))
            {
                foreach (var s in relay.Sessions)
                {
                    await s.RenewAsync(ct);
                }

                continue;
            }

            throw new ServiceDownException($"{relay.Relay.Name} did not answer the fuzzer's queue info: {Describe(answer)}");
        }
    }

    private static string Describe(WireAnswer answer) =>
        answer.Dropped ?? (answer.GrpcStatus is { } s ? $"status {s.ToString(CultureInfo.InvariantCulture)} {answer.GrpcMessage}" : $"HTTP {answer.HttpStatus}");

    /// <summary>None of the fixture's secrets (card codes, tokens, queue ids and keys, the payee's key) in any service's log.</summary>
    private static void ScanLogs(FuzzFixture fixture, FuzzReport report)
    {
        if (!System.IO.Directory.Exists(fixture.Targets.LogDirectory))
        {
            return;
        }

        var texts = new List<(string Kind, string Text)>(fixture.SecretTexts);
        texts.AddRange(fixture.SecretTexts.Select(t => (t.Kind, SimpleXLedger.Cards.CardCode.Parse(t.Text).Reveal())));
        var logs = System.IO.Directory.GetFiles(fixture.Targets.LogDirectory, "*", SearchOption.AllDirectories);
        var leaks = LogLeakScanner.Scan(logs, fixture.Secrets, texts);
        report.LogLeaks = leaks.Count;
        report.LogLeakDetails.AddRange(leaks.GroupBy(l => (l.Kind, l.File)).Select(g => $"{g.Key.Kind} in {Path.GetFileName(g.Key.File)} ×{g.Count()}"));
    }
}
