using System.Numerics;
using System.Text;
using Google.Protobuf;
using SimpleXLedger.Audit.Fuzz;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Tokens;
using ClearingProto = SimpleXLedger.Protos.Clearing;
using IssuerProto = SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Audit.Tests;

/// <summary>
/// The fuzzer's own parts, without a network: replayable case seeds, the mutations, the requests it may send with a
/// card that still has credits, the commands it may sign, the rules that judge answers, the digest comparison. (The
/// fuzzer against a whole network runs in the audit's short run, <see cref="AuditScenarioTests"/>.)
/// </summary>
public sealed class FuzzTests : IClassFixture<FuzzTests.IssuerKeyFixture>
{
    private readonly IssuerFacts _issuer;

    public FuzzTests(IssuerKeyFixture key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _issuer = key.Facts;
    }

    [Fact]
    public void A_case_seed_decides_everything_the_case_draws_and_cases_of_a_run_differ()
    {
        var seeds = Enumerable.Range(0, 10_000).Select(i => FuzzRandom.CaseSeed(42, i)).ToList();
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        Assert.Equal(seeds, Enumerable.Range(0, 10_000).Select(i => FuzzRandom.CaseSeed(42, i)));
        Assert.NotEqual(seeds[0], FuzzRandom.CaseSeed(43, 0));

        var a = new FuzzRandom(seeds[7]);
        var b = new FuzzRandom(seeds[7]);
        Assert.Equal(Enumerable.Range(0, 100).Select(_ => a.NextUInt64()), Enumerable.Range(0, 100).Select(_ => b.NextUInt64()));
        Assert.Same(FuzzRun.FamilyOf(new FuzzRandom(seeds[7])), FuzzRun.FamilyOf(new FuzzRandom(seeds[7])));
    }

    [Fact]
    public void Every_family_gets_cases_in_proportion_to_its_weight()
    {
        var counts = FuzzRun.Families.ToDictionary(f => f, _ => 0);
        for (var i = 0; i < 20_000; i++)
        {
            counts[FuzzRun.FamilyOf(new FuzzRandom(FuzzRandom.CaseSeed(1, i)))]++;
        }

        var total = FuzzRun.Families.Sum(f => f.Weight);
        Assert.All(counts, c => Assert.InRange(c.Value, 20_000.0 * c.Key.Weight / total * 0.7, 20_000.0 * c.Key.Weight / total * 1.3));
        Assert.Equal(FuzzRun.Families.Count, FuzzRun.Families.Select(f => f.Endpoint).Distinct().Count());
    }

    [Fact]
    public void Byte_mutations_change_the_value_and_stay_within_bounds()
    {
        var value = Encoding.ASCII.GetBytes("a valid value of some length");
        var changed = 0;
        for (ulong seed = 0; seed < 2000; seed++)
        {
            var (bytes, name) = ByteMutator.Mutate(new FuzzRandom(seed), value);
            Assert.False(string.IsNullOrEmpty(name));
            Assert.True(bytes.Length <= value.Length + (64 * 1024) + 64, name);
            changed += bytes.AsSpan().SequenceEqual(value) ? 0 : 1;
        }

        // A flip can land on a bit twice (bit-flips) or a boundary byte on the same value: nearly all differ.
        Assert.True(changed > 1950, $"{changed} of 2000 changed");
    }

    [Fact]
    public void Structure_aware_mutations_cover_every_message_of_every_service_and_mostly_break_or_change_it()
    {
        IMessage[] templates =
        [
            new IssuerProto.RedeemRequest { CardCode = "SXL-CODE", RequestId = ByteString.CopyFrom(new byte[32]), TokenRequests = { ByteString.CopyFrom(new byte[259]) } },
            new IssuerProto.GetCardRequest { CardCode = "SXL-CODE" },
            new Transmission { Command = new Command { EntityId = ByteString.CopyFrom(new byte[24]), Info = new GetQueueInfo() }.ToByteString(), Signature = ByteString.CopyFrom(new byte[64]) },
            new Command { CorrelationId = ByteString.CopyFrom(new byte[24]), EntityId = ByteString.CopyFrom(new byte[24]), Send = new SendMessage { Body = ByteString.CopyFromUtf8("hi") } },
            new ClearingProto.RedeemRequest { BatchId = ByteString.CopyFrom(new byte[32]), OperatorKey = ByteString.CopyFrom(new byte[32]), RedeemerId = ByteString.CopyFrom(new byte[16]), Tokens = { ByteString.CopyFrom(new byte[321]) }, Signature = ByteString.CopyFrom(new byte[64]) },
            new ClearingProto.RegisterOperatorRequest { OperatorKey = ByteString.CopyFrom(new byte[32]), Payee = "0x0000000000000000000000000000000000000001", PayeeSignature = ByteString.CopyFrom(new byte[65]), OperatorSignature = ByteString.CopyFrom(new byte[64]) },
            new Protos.Settlement.GetEpochRequest { Epoch = 3 },
        ];
        foreach (var template in templates)
        {
            var original = template.ToByteArray();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var different = 0;
            for (ulong seed = 0; seed < 400; seed++)
            {
                var (bytes, name) = ProtoMutator.Mutate(new FuzzRandom(seed), template);
                names.Add(name.Split(':')[0]);
                different += bytes.AsSpan().SequenceEqual(original) ? 0 : 1;
            }

            Assert.Equal(original, template.ToByteArray());
            Assert.True(different > 380, $"{template.Descriptor.Name}: {different} of 400 differ");
            Assert.Contains("deep-nesting", names);
            Assert.Contains("lying-length", names);
        }
    }

    [Fact]
    public void Requests_sent_with_a_card_that_has_credits_are_never_signable_even_mutated_once_more()
    {
        for (ulong seed = 0; seed < 3000; seed++)
        {
            var random = new FuzzRandom(seed);
            var (request, name) = BadTokenRequests.Any(random, _issuer);
            Assert.False(Signable(request), $"{name} (seed {seed})");

            var robust = BadTokenRequests.Robust(random, _issuer);
            var (mutated, how) = ByteMutator.Mutate(random, robust);
            Assert.False(Signable(mutated), $"robust, then {how} (seed {seed})");
        }

        Assert.True(Signable(_issuer.TokenRequest));
    }

    [Fact]
    public void Turn_buy_requests_never_carry_a_token_that_would_pay_and_cover_every_kind_of_bad_token()
    {
        const string name = "issuer.fuzz.test";
        using var key = TokenPrivateKey.Generate();
        var challenge = TokenChallenge.ForNetwork(name);
        byte[] Mint()
        {
            using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
            return TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request)).ToArray();
        }

        var spent = new[] { Mint(), Mint() };
        var unspent = new[] { Mint(), Mint(), Mint() };
        var facts = new TurnFacts(spent[0], spent, unspent, name);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 0; seed < 3000; seed++)
        {
            var (body, mutation) = TurnBuyFamily.Request(new FuzzRandom(seed), facts);
            kinds.Add(mutation.Split(' ')[0] + " " + mutation.Split(' ').ElementAtOrDefault(1));
            SimpleXLedger.Protos.Turn.BuyRequest request;
            try
            {
                request = SimpleXLedger.Protos.Turn.BuyRequest.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException)
            {
                continue;
            }

            // What the service would parse: never a valid token that is not spent already.
            var token = request.Token.ToByteArray();
            Assert.DoesNotContain(unspent, u => u.AsSpan().SequenceEqual(token));
            if (token.Length == Token.Length && Token.TryParse(token, out var parsed, out _) && TokenVerifier.Verify(key.PublicKey, parsed, challenge))
            {
                Assert.Contains(spent, s => s.AsSpan().SequenceEqual(token));
            }
        }

        Assert.Superset(new HashSet<string>(StringComparer.Ordinal) { "token replayed", "token spent", "token under", "empty token", "empty request", "noise token", "oversized token" }, kinds);
        Assert.Contains(kinds, k => k.StartsWith("request ", StringComparison.Ordinal));
    }

    [Fact]
    public void Commands_that_would_change_a_queue_are_never_signed_validly()
    {
        var unspent = new[] { new byte[] { 1, 2, 3 } };
        Command With(Action<Command> set)
        {
            var c = new Command { EntityId = ByteString.CopyFrom(new byte[24]) };
            set(c);
            return c;
        }

        Assert.True(RelayCommands.SafeToSign(With(c => c.Info = new GetQueueInfo()), unspent));
        Assert.True(RelayCommands.SafeToSign(With(c => c.Get = new GetMessage()), unspent));
        Assert.True(RelayCommands.SafeToSign(With(c => c.TopUp = new TopUpQueue { PaymentToken = ByteString.CopyFrom([9, 9]) }), unspent));
        Assert.False(RelayCommands.SafeToSign(With(c => c.Suspend = new SuspendQueue()), unspent));
        Assert.False(RelayCommands.SafeToSign(With(c => c.Delete = new DeleteQueue()), unspent));
        Assert.False(RelayCommands.SafeToSign(With(c => c.TopUp = new TopUpQueue { PaymentToken = ByteString.CopyFrom(unspent[0]) }), unspent));
        Assert.False(RelayCommands.SafeToSign(With(c => c.Create = new CreateQueue { PaymentToken = ByteString.CopyFrom(unspent[0]) }), unspent));
        Assert.False(RelayCommands.SafeToSign(With(c => c.Send = new SendMessage { PaymentToken = ByteString.CopyFrom(unspent[0]) }), unspent));
    }

    [Fact]
    public void Answers_are_judged_typed_untyped_or_leaking_by_the_rules_of_the_audit()
    {
        var judge = new FuzzContext(["SXL-SECRET-CODE-1234"]);
        WireAnswer Grpc(int? status, string? message = null) => new(200, status, message, null, "application/grpc", [], []);

        Assert.Equal(Verdict.Accepted, judge.Grpc("e", "m", Grpc(0)).Verdict);
        Assert.Equal(Verdict.Refused, judge.Grpc("e", "m", Grpc(3, "bad")).Verdict);
        Assert.Equal(Verdict.Refused, judge.Grpc("e", "m", Grpc(8)).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Grpc("e", "m", Grpc(2)).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Grpc("e", "m", Grpc(13)).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Grpc("e", "m", Grpc(99)).Verdict);
        Assert.Equal(Verdict.Leak, judge.Grpc("e", "m", Grpc(3, "the code sxl-secret-code-1234 is wrong")).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Grpc("e", "m", WireAnswer.DroppedWith("reset")).Verdict);
        Assert.Equal(Verdict.Dropped, judge.Grpc("e", "m", WireAnswer.DroppedWith("reset"), mayDrop: true).Verdict);
        Assert.Equal(Verdict.Hang, judge.Grpc("e", "m", WireAnswer.Timeout()).Verdict);
        Assert.Equal(Verdict.Refused, judge.Grpc("e", "m", new WireAnswer(415, null, null, null, null, [], [])).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Grpc("e", "m", new WireAnswer(500, null, null, null, null, [], [])).Verdict);

        var problem = Encoding.UTF8.GetBytes("""{"type":"about:blank","title":"Unauthorized","status":401,"detail":"gift card required"}""");
        Assert.Equal(Verdict.Refused, judge.Http("e", "m", new WireAnswer(401, null, null, null, "application/problem+json", problem, [])).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Http("e", "m", new WireAnswer(401, null, null, null, "text/plain", "no"u8.ToArray(), [])).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Http("e", "m", new WireAnswer(404, null, null, null, null, [], [])).Verdict);
        Assert.Equal(Verdict.Refused, judge.Http("e", "m", new WireAnswer(431, null, null, null, null, [], []), protocolLevel: true).Verdict);
        Assert.Equal(Verdict.Untyped, judge.Http("e", "m", new WireAnswer(503, null, null, null, "application/problem+json", problem, [])).Verdict);
        Assert.Equal(Verdict.Leak, judge.Http("e", "m", new WireAnswer(401, null, null, null, "application/problem+json", Encoding.UTF8.GetBytes("SXL-SECRET-CODE-1234"), [])).Verdict);
    }

    [Fact]
    public void A_digest_difference_names_what_changed_allows_what_the_cases_caused_and_skips_reported_values()
    {
        var before = new StateDigest();
        before.Add("issuer.cards.redeemed", 101);
        before.Add(StateDigest.FuzzOperatorBatches, 5);
        before.Add(StateDigest.InfoPrefix + "clearing.batches.relays", 2);
        var after = new StateDigest();
        after.Add("issuer.cards.redeemed", 102);
        after.Add(StateDigest.FuzzOperatorBatches, 8);
        after.Add(StateDigest.InfoPrefix + "clearing.batches.relays", 9);

        var changes = StateDigest.Differences(before, after, new Dictionary<string, long> { [StateDigest.FuzzOperatorBatches] = 3 });
        Assert.Equal(["issuer.cards.redeemed: 101 → 102"], changes);
        Assert.Single(StateDigest.Differences(before, after, new Dictionary<string, long> { [StateDigest.FuzzOperatorBatches] = 2 }), c => c.StartsWith(StateDigest.FuzzOperatorBatches, StringComparison.Ordinal));
        Assert.Empty(StateDigest.Differences(after, after));
    }

    /// <summary>What an issuer holding only <see cref="IssuerFacts.IssuerKey"/> (and the ids in the set) would sign.</summary>
    private bool Signable(byte[] request)
    {
        if (!TokenRequest.TryParse(request, out var parsed, out _) || parsed.TruncatedTokenKeyId != _issuer.IssuerKey.TruncatedKeyId)
        {
            return false;
        }

        var n = new BigInteger(_issuer.IssuerKey.RsaKey.Modulus, isUnsigned: true, isBigEndian: true);
        return new BigInteger(parsed.BlindedMessage, isUnsigned: true, isBigEndian: true) < n;
    }

    /// <summary>One issuing key for the class (RSA generation is slow), and a real request for it.</summary>
    public sealed class IssuerKeyFixture : IDisposable
    {
        private readonly TokenPrivateKey _key = TokenPrivateKey.Generate();

        public IssuerKeyFixture()
        {
            using var state = TokenClient.CreateRequest(_key.PublicKey, TokenChallenge.ForNetwork("issuer.test"));
            Facts = new IssuerFacts(_key.PublicKey, state.Request.ToArray(), new HashSet<byte> { _key.PublicKey.TruncatedKeyId, (byte)(_key.PublicKey.TruncatedKeyId ^ 0x5A) });
        }

        internal IssuerFacts Facts { get; }

        public void Dispose() => _key.Dispose();
    }
}
