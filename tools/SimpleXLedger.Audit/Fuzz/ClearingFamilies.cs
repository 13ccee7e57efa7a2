using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Protos.Clearing;
using SimpleXLedger.Protos.Settlement;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// clearing.proto's Redeem: batches signed by the fuzzer's operator carrying tokens that pay nothing (spent, mutated,
/// noise, too long), too many tokens, the recorded batch replayed exactly and under its id with another body, and
/// signatures, keys and ids broken. A signed batch of bad tokens accepts nothing and so leaves no row: the digest
/// expects the clearing house's state (its batches included) not to change at all.
/// </summary>
internal sealed class ClearingRedeemFamily : IFuzzFamily
{
    public string Endpoint => "clearing.grpc/Redeem";

    public int Weight => 12;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        byte[] request;
        string mutation;
        switch (random.Next(8))
        {
            case 0 or 1 or 2:
                {
                    var (tokens, what) = BadTokens(random, f);
                    request = Sign(f, ClearingClient.NewBatchId(), RandomNumberGenerator.GetBytes(ClearingProtocol.RedeemerIdLength), tokens).ToByteArray();
                    mutation = "signed batch of " + what;
                    break;
                }

            case 3:
                {
                    var n = random.Between(f.ClearingMaxBatch + 1, f.ClearingMaxBatch + 200);
                    var token = random.Pick(f.SpentTokens);
                    request = Sign(f, ClearingClient.NewBatchId(), RandomNumberGenerator.GetBytes(16), [.. Enumerable.Repeat<ReadOnlyMemory<byte>>(token, n)]).ToByteArray();
                    mutation = $"signed batch of {n} tokens (over the maximum)";
                    break;
                }

            case 4:
                {
                    var recorded = f.RecordedBatch;
                    switch (random.Next(3))
                    {
                        case 0:
                            request = recorded.ToByteArray();
                            mutation = "recorded batch replayed";
                            break;
                        case 1:
                            {
                                var (tokens, what) = BadTokens(random, f);
                                request = Sign(f, recorded.BatchId.ToByteArray(), recorded.RedeemerId.ToByteArray(), tokens).ToByteArray();
                                mutation = "used batch id, other tokens: " + what;
                                break;
                            }

                        default:
                            request = Sign(f, recorded.BatchId.ToByteArray(), RandomNumberGenerator.GetBytes(16), [.. recorded.Tokens.Select(t => t.Memory)]).ToByteArray();
                            mutation = "used batch id, other redeemer";
                            break;
                    }

                    break;
                }

            case 5:
                {
                    // Signature or operator broken: nothing may even be looked at.
                    var (tokens, _) = BadTokens(random, f);
                    var signed = Sign(f, ClearingClient.NewBatchId(), RandomNumberGenerator.GetBytes(16), tokens);
                    switch (random.Next(4))
                    {
                        case 0:
                            {
                                var signature = signed.Signature.ToByteArray();
                                ByteMutator.FlipBit(random, signature);
                                signed.Signature = ByteString.CopyFrom(signature);
                                mutation = "signature bit-flipped";
                                break;
                            }

                        case 1:
                            signed.OperatorKey = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32));
                            mutation = "unknown operator";
                            break;
                        case 2:
                            signed.RedeemerId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));
                            mutation = "redeemer id changed after signing";
                            break;
                        default:
                            signed.Tokens.Add(ByteString.CopyFrom(random.Pick(f.SpentTokens)));
                            mutation = "token added after signing";
                            break;
                    }

                    request = signed.ToByteArray();
                    break;
                }

            default:
                {
                    var (tokens, _) = BadTokens(random, f);
                    var template = Sign(f, ClearingClient.NewBatchId(), RandomNumberGenerator.GetBytes(16), tokens);
                    (request, mutation) = ProtoMutator.Mutate(random, template, maxRepeat: f.ClearingMaxBatch + 10);
                    break;
                }
        }

        var answer = await f.Clearing.GrpcAsync("/sxl.clearing.v1.ClearingHouse/Redeem", Lane.Frame(request), FuzzContext.Deadline, ct);
        if (answer.GrpcStatus == 0 && answer.Messages.Count == 1)
        {
            var reply = RedeemReply.Parser.ParseFrom(answer.Messages[0]);
            if (reply.Accepted > 0 || reply.Outcomes.Any(o => o is TokenOutcome.Accepted))
            {
                return new CaseResult(Endpoint, mutation, $"{reply.Accepted} tokens accepted", Verdict.Untyped);
            }
        }

        // A batch that accepted nothing (every fuzz batch) leaves no row: the clearing house's state must not change.
        return context.Grpc(Endpoint, mutation, answer);
    }

    private static RedeemRequest Sign(FuzzFixture f, byte[] batchId, byte[] redeemerId, IReadOnlyList<ReadOnlyMemory<byte>> tokens)
    {
        // A token over 65535 bytes has no digest (its length does not fit): such a batch gets a digest of its first bytes.
        var digest = ClearingProtocol.TokensDigest([.. tokens.Select(t => t.Length > ushort.MaxValue ? t[..ushort.MaxValue] : t)]);
        var request = new RedeemRequest
        {
            BatchId = ByteString.CopyFrom(batchId),
            OperatorKey = ByteString.CopyFrom(f.Operator.PublicKey),
            RedeemerId = ByteString.CopyFrom(redeemerId),
            Signature = ByteString.CopyFrom(f.Operator.Sign(ClearingProtocol.RedeemSigningInput(f.ClearingIdentity, batchId, redeemerId, digest))),
        };
        foreach (var t in tokens)
        {
            request.Tokens.Add(ByteString.CopyFrom(t.Span));
        }

        return request;
    }

    /// <summary>Tokens none of which may be accepted: spent ones, real ones mutated, noise, empty, or longer than 65535 bytes.</summary>
    private static (IReadOnlyList<ReadOnlyMemory<byte>>, string) BadTokens(FuzzRandom random, FuzzFixture f)
    {
        var n = random.Chance(0.9) ? random.Between(1, 8) : random.Between(50, 300);
        var tokens = new List<ReadOnlyMemory<byte>>();
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                    tokens.Add(random.Pick(f.SpentTokens));
                    kinds.Add("spent");
                    break;
                case 1 or 2:
                    {
                        var (bytes, name) = ByteMutator.Mutate(random, random.Pick(f.UnspentTokens));
                        if (!RelayCommands.IsUnspent(bytes, f.UnspentTokens))
                        {
                            tokens.Add(bytes);
                            kinds.Add(name);
                        }

                        break;
                    }

                case 3:
                    tokens.Add(random.Bytes(random.Length(SimpleXLedger.Tokens.Token.Length, 2048)));
                    kinds.Add("noise");
                    break;
                case 4:
                    tokens.Add(Array.Empty<byte>());
                    kinds.Add("empty");
                    break;
                default:
                    if (random.Chance(0.05))
                    {
                        tokens.Add(new byte[ushort.MaxValue + random.Between(1, 100)]);
                        kinds.Add("over 65535 bytes");
                    }
                    else
                    {
                        var bytes = random.Pick(f.UnspentTokens).ToArray();
                        bytes[0] ^= 0x01;
                        tokens.Add(bytes);
                        kinds.Add("wrong type");
                    }

                    break;
            }
        }

        if (tokens.Count == 0)
        {
            tokens.Add(random.Pick(f.SpentTokens));
        }

        return (tokens, $"{tokens.Count} tokens ({string.Join(", ", kinds.Order(StringComparer.Ordinal))})");
    }
}

/// <summary>clearing.proto's RegisterOperator: the fixture's registration replayed and mutated, its key claimed by another payee, noise.</summary>
internal sealed class ClearingRegisterFamily : IFuzzFamily
{
    public string Endpoint => "clearing.grpc/RegisterOperator";

    public int Weight => 5;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        byte[] request;
        string mutation;
        switch (random.Next(5))
        {
            case 0:
                {
                    var replay = f.Registration.Clone();
                    if (random.Chance(0.5))
                    {
                        replay.Payee = replay.Payee.ToLowerInvariant();
                    }

                    request = replay.ToByteArray();
                    mutation = "registration replayed";
                    break;
                }

            case 1:
                {
                    // The fixture's operator key, claimed (with valid signatures) for another payee.
                    var other = EthECKey.GenerateKey();
                    var payee = other.GetPublicAddress();
                    var text = ClearingProtocol.RegistrationMessage(f.ClearingIdentity, f.Operator.PublicKey, payee);
                    request = new RegisterOperatorRequest
                    {
                        OperatorKey = ByteString.CopyFrom(f.Operator.PublicKey),
                        Payee = payee,
                        PayeeSignature = ByteString.CopyFrom(new EthereumMessageSigner().EncodeUTF8AndSign(text, other).HexToByteArray()),
                        OperatorSignature = ByteString.CopyFrom(f.Operator.Sign(Encoding.UTF8.GetBytes(text))),
                    }.ToByteArray();
                    mutation = "operator key claimed by another payee";
                    break;
                }

            case 2 or 3:
                (request, mutation) = ProtoMutator.Mutate(random, f.Registration);
                break;
            default:
                request = random.Bytes(random.Length(200, 8192));
                mutation = "garbage";
                break;
        }

        return context.Grpc(Endpoint, mutation, await f.Clearing.GrpcAsync("/sxl.clearing.v1.ClearingHouse/RegisterOperator", Lane.Frame(request), FuzzContext.Deadline, ct));
    }
}

/// <summary>clearing.proto's GetInfo and settlement.proto's GetEpoch: requests mutated, epochs that exist and that never will.</summary>
internal sealed class ClearingReadFamily : IFuzzFamily
{
    public string Endpoint => "clearing.grpc/reads";

    public int Weight => 4;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        if (random.Chance(0.4))
        {
            var (bytes, name) = random.Chance(0.5) ? ProtoMutator.Mutate(random, new GetInfoRequest()) : (random.Bytes(random.Length(32, 4096)), "garbage");
            return context.Grpc("clearing.grpc/GetInfo", name, await f.Clearing.GrpcAsync("/sxl.clearing.v1.ClearingHouse/GetInfo", Lane.Frame(bytes), FuzzContext.Deadline, ct));
        }

        var epoch = random.Next(4) switch
        {
            0 => 0UL,
            1 => (ulong)random.Between(1, 50),
            2 => ulong.MaxValue - (ulong)random.Next(3),
            _ => random.NextUInt64(),
        };
        var (request, mutation) = random.Chance(0.5)
            ? (new GetEpochRequest { Epoch = epoch }.ToByteArray(), $"epoch {epoch}")
            : ProtoMutator.Mutate(random, new GetEpochRequest { Epoch = epoch });
        return context.Grpc("settlement.grpc/GetEpoch", mutation, await f.Clearing.GrpcAsync("/sxl.settlement.v1.Settlement/GetEpoch", Lane.Frame(request), FuzzContext.Deadline, ct));
    }
}
