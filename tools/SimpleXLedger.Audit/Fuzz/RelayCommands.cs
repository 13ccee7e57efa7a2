using Google.Protobuf;
using NSec.Cryptography;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// Relay commands for the fuzzer's queue, and the rule that keeps its own cases honest: a command that carries a valid
/// signature must not be one the relay should carry out with a change (suspend, delete, a paid create or top-up, a
/// send it could charge). Such commands are only ever sent with a broken signature, on the wrong session, or unsigned.
/// </summary>
internal static class RelayCommands
{
    /// <summary>A command for the fixture's queue (or a create), before any mutation; the key that would sign it validly (a create's fresh key is the caller's to dispose).</summary>
    public static (Command Command, Key Key, string Name, bool OwnsKey) Template(FuzzRandom random, RelayFixture relay, FuzzFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(relay);
        ArgumentNullException.ThrowIfNull(fixture);
        var recipient = ByteString.CopyFrom(relay.RecipientId);
        var correlation = ByteString.CopyFrom(random.Bytes(random.Between(0, RelayProtocol.MaxCorrelationIdLength)));
        Command Recipient(Action<Command> set)
        {
            var c = new Command { CorrelationId = correlation, EntityId = recipient };
            set(c);
            return c;
        }

        switch (random.Next(11))
        {
            case 0:
                return (Recipient(c => c.Info = new GetQueueInfo()), relay.RecipientKey, "info", false);
            case 1:
                return (Recipient(c => c.Get = new GetMessage()), relay.RecipientKey, "get", false);
            case 2:
                return (Recipient(c => c.Ack = new AckMessage { MessageId = ByteString.CopyFrom(random.Bytes(random.Chance(0.7) ? RelayProtocol.MessageIdLength : random.Next(40))) }), relay.RecipientKey, "ack", false);
            case 3:
                return (Recipient(c => c.Secure = new SecureQueue { SenderKey = ByteString.CopyFrom(random.Chance(0.5) ? RelayProtocol.PublicKeyBytes(relay.SenderKey) : random.Bytes(random.Between(0, 64))) }), relay.RecipientKey, "secure", false);
            case 4:
                return (Recipient(c => c.Suspend = new SuspendQueue()), relay.RecipientKey, "suspend", false);
            case 5:
                return (Recipient(c => c.Delete = new DeleteQueue()), relay.RecipientKey, "delete", false);
            case 6:
                return (Recipient(c => c.TopUp = new TopUpQueue { PaymentToken = ByteString.CopyFrom(Payment(random, fixture, out _)) }), relay.RecipientKey, "top-up", false);
            case 7:
                return (Recipient(c => c.Subscribe = new SubscribeQueue()), relay.RecipientKey, "subscribe", false);
            case 8:
                {
                    var send = new SendMessage { Body = ByteString.CopyFrom(random.Bytes(random.Chance(0.2) ? random.Between((int)relay.Limits.MaxMessageBytes + 1, (int)relay.Limits.MaxMessageBytes + 4096) : random.Between(0, 256))) };
                    if (random.Chance(0.5))
                    {
                        send.PaymentToken = ByteString.CopyFrom(Payment(random, fixture, out _));
                    }

                    return (new Command { CorrelationId = correlation, EntityId = ByteString.CopyFrom(relay.SenderId), Send = send }, relay.SenderKey, "send", false);
                }

            default:
                {
                    // A create signed by a fresh key (proof of possession); paid with nothing or a bad token.
                    var key = RelayProtocol.NewKey();
                    var create = new CreateQueue { RecipientKey = ByteString.CopyFrom(RelayProtocol.PublicKeyBytes(key)) };
                    if (random.Chance(0.7))
                    {
                        create.PaymentToken = ByteString.CopyFrom(Payment(random, fixture, out _));
                    }

                    return (new Command { CorrelationId = correlation, Create = create }, key, "create", true);
                }
        }
    }

    /// <summary>A token that pays nothing: spent already, or a real one with bits flipped, cut or grown, or noise.</summary>
    public static byte[] Payment(FuzzRandom random, FuzzFixture fixture, out string name)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(fixture);
        switch (random.Next(4))
        {
            case 0:
                name = "spent token";
                return random.Pick(fixture.SpentTokens);
            case 1:
                {
                    var (bytes, n) = ByteMutator.Mutate(random, random.Pick(fixture.UnspentTokens));
                    name = "token " + n;
                    return IsUnspent(bytes, fixture.UnspentTokens) ? [] : bytes;
                }

            case 2:
                {
                    var bytes = (byte[])random.Pick(fixture.UnspentTokens).Clone();
                    ByteMutator.FlipBit(random, bytes);
                    name = "token bit-flip";
                    return bytes;
                }

            default:
                name = "token noise";
                return random.Bytes(random.Length(Tokens.Token.Length, 4096));
        }
    }

    /// <summary>True when the relay, given this command validly signed, should refuse it without any change.</summary>
    public static bool SafeToSign(Command command, IReadOnlyList<byte[]> unspent)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.BodyCase switch
        {
            Command.BodyOneofCase.None or Command.BodyOneofCase.Info or Command.BodyOneofCase.Get or Command.BodyOneofCase.Subscribe
                or Command.BodyOneofCase.Ack or Command.BodyOneofCase.Secure => true,
            Command.BodyOneofCase.TopUp => !IsUnspent(command.TopUp.PaymentToken.Span, unspent),
            Command.BodyOneofCase.Create => !IsUnspent(command.Create.PaymentToken.Span, unspent),

            // The fixture's queues hold no credit (their one token paid for the queue): an unpaid send is refused.
            Command.BodyOneofCase.Send => !IsUnspent(command.Send.PaymentToken.Span, unspent),
            _ => false,
        };
    }

    public static bool IsUnspent(ReadOnlySpan<byte> token, IReadOnlyList<byte[]> unspent)
    {
        ArgumentNullException.ThrowIfNull(unspent);
        foreach (var t in unspent)
        {
            if (token.SequenceEqual(t))
            {
                return true;
            }
        }

        return false;
    }
}
