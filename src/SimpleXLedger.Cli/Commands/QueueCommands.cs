using System.Buffers.Text;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Relay.Client;
using Delivery = SimpleXLedger.Protos.Relay.Delivery;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl queue …</c>: create, send to, receive from and top up relay queues.</summary>
internal static class QueueCommands
{
    public static Command Build()
    {
        var queue = new Command("queue", "Use message queues on a relay: create, send, receive, top up.");
        queue.Subcommands.Add(BuildCreate());
        queue.Subcommands.Add(BuildSend());
        queue.Subcommands.Add(BuildReceive());
        queue.Subcommands.Add(BuildTopUp());
        queue.Subcommands.Add(BuildInfo());
        return queue;
    }

    /// <summary>The recipient's queue file: the keys that control the queue. Owner-only.</summary>
    internal sealed record QueueFile(string Relay, string RecipientId, string SenderId, string RecipientKey, string SenderLink);

    private static Command BuildCreate()
    {
        var relay = new Option<string>("--relay") { Description = "The relay's address, sxl://<fingerprint>@host:port.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Queue file to write (owner-only; never overwritten): the recipient's keys.", Required = true };
        var password = new Option<string?>("--password") { Description = "The relay's queue-creation password, if it has one." };
        var token = new Option<string?>("--token") { Description = "A payment token (base64url) when the relay charges for queues." };
        var command = new Command("create", "Create a queue; writes the queue file and prints the sender link to give the sender.") { relay, output, password, token };
        command.SetAction(async (parse, ct) =>
        {
            if (!PinnedAddress.TryParse(parse.GetValue(relay), out var address, out var error))
            {
                return Usage(error);
            }

            var path = parse.GetValue(output)!.FullName;
            if (File.Exists(path))
            {
                return Usage($"{path} already exists; not overwriting a queue file");
            }

            if (!TryToken(parse.GetValue(token), out var paymentToken))
            {
                return Usage("--token must be base64url");
            }

            return await RunAsync(async () =>
            {
                await using var client = await RelayClient.ConnectAsync(address, ct);
                using var recipientKey = RelayProtocol.NewKey();
                using var senderKey = RelayProtocol.NewKey();
                var created = await client.CreateQueueAsync(recipientKey, parse.GetValue(password), paymentToken, ct);
                // Secured at once with a key made for the sender, carried in the link's fragment.
                await client.SecureAsync(created.RecipientId.Memory, recipientKey, senderKey.PublicKey, ct);
                var link = new SenderLink(address, created.SenderId.ToByteArray(), RelayProtocol.ExportSeed(senderKey));
                var file = new QueueFile(address.ToString(), Base64Url.EncodeToString(created.RecipientId.Span), Base64Url.EncodeToString(created.SenderId.Span), Base64Url.EncodeToString(RelayProtocol.ExportSeed(recipientKey)), link.ToString());
                SelfSignedCertificate.WriteOwnerOnly(path, JsonSerializer.SerializeToUtf8Bytes(file, new JsonSerializerOptions { WriteIndented = true }));
                await Console.Out.WriteLineAsync(link.ToString());
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildSend()
    {
        var linkOption = new Option<string>("--link") { Description = "The sender link the recipient gave you.", Required = true };
        var message = new Option<string>("--message") { Description = "The message text (UTF-8, at most the relay's limit, 16,064 bytes by default).", Required = true };
        var token = new Option<string?>("--token") { Description = "A payment token (base64url) to attach." };
        var command = new Command("send", "Send a message to a queue.") { linkOption, message, token };
        command.SetAction(async (parse, ct) =>
        {
            if (!SenderLink.TryParse(parse.GetValue(linkOption), out var link))
            {
                return Usage("--link is not a sender link (sxl://<fingerprint>@host:port/send/<id>#<key>)");
            }

            if (!TryToken(parse.GetValue(token), out var paymentToken))
            {
                return Usage("--token must be base64url");
            }

            return await RunAsync(async () =>
            {
                await using var client = await RelayClient.ConnectAsync(link.Relay, ct);
                using var key = link.SenderKeySeed is null ? null : RelayProtocol.ImportKey(link.SenderKeySeed);
                await client.SendAsync(link.SenderId, key, Encoding.UTF8.GetBytes(parse.GetValue(message)!), paymentToken, ct);
                await Console.Out.WriteLineAsync("sent");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildReceive()
    {
        var queueOption = new Option<FileInfo>("--queue") { Description = "The queue file written by create.", Required = true };
        var ack = new Option<bool>("--ack") { Description = "Acknowledge (delete) each message printed, which also lets the next one come." };
        var wait = new Option<int?>("--wait") { Description = "Stay subscribed this many seconds, printing messages as they arrive." };
        var command = new Command("receive", "Print the queue's messages, one per line (without --ack only the first, which stays on the relay).") { queueOption, ack, wait };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryReadQueue(parse.GetValue(queueOption)!, out var q, out var address, out var rid, out var seed, out var error))
            {
                return Usage(error);
            }

            var doAck = parse.GetValue(ack);
            return await RunAsync(async () =>
            {
                await using var client = await RelayClient.ConnectAsync(address, ct);
                using var key = RelayProtocol.ImportKey(seed);
                if (parse.GetValue(wait) is { } seconds)
                {
                    using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    window.CancelAfter(TimeSpan.FromSeconds(Math.Max(0, seconds)));
                    try
                    {
                        await foreach (var m in client.SubscribeAsync(rid, key, window.Token))
                        {
                            await Print(m);
                            if (!doAck)
                            {
                                break;
                            }

                            await client.AckAsync(rid, key, m.MessageId.Memory, ct);
                        }
                    }
                    catch (OperationCanceledException) when (window.IsCancellationRequested && !ct.IsCancellationRequested)
                    {
                        // The wait is over.
                    }

                    return ExitCodes.Ok;
                }

                while (await client.GetAsync(rid, key, ct) is { } message)
                {
                    await Print(message);
                    if (!doAck)
                    {
                        break;
                    }

                    await client.AckAsync(rid, key, message.MessageId.Memory, ct);
                }

                return ExitCodes.Ok;
            });
        });
        return command;

        static async Task Print(Delivery m)
        {
            if (m.QuotaNotice)
            {
                await Console.Error.WriteLineAsync("(the queue was full: senders were refused for a while)");
                return;
            }

            await Console.Out.WriteLineAsync(Encoding.UTF8.GetString(m.Body.Span));
        }
    }

    private static Command BuildTopUp()
    {
        var queueOption = new Option<FileInfo>("--queue") { Description = "The queue file written by create.", Required = true };
        var token = new Option<string>("--token") { Description = "A token (base64url, RFC 9577) to add to the queue's balance.", Required = true };
        var command = new Command("topup", "Add a payment token to the queue's balance; prints the new balance.") { queueOption, token };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryReadQueue(parse.GetValue(queueOption)!, out _, out var address, out var rid, out var seed, out var error))
            {
                return Usage(error);
            }

            if (!TryToken(parse.GetValue(token), out var paymentToken) || paymentToken is null)
            {
                return Usage("--token must be base64url");
            }

            return await RunAsync(async () =>
            {
                await using var client = await RelayClient.ConnectAsync(address, ct);
                using var key = RelayProtocol.ImportKey(seed);
                var balance = await client.TopUpAsync(rid, key, paymentToken, ct);
                await Console.Out.WriteLineAsync($"{balance.Amount} {balance.Unit}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildInfo()
    {
        var queueOption = new Option<FileInfo>("--queue") { Description = "The queue file written by create.", Required = true };
        var command = new Command("info", "Show the queue's state: secured, suspended, pending messages, balance.") { queueOption };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryReadQueue(parse.GetValue(queueOption)!, out _, out var address, out var rid, out var seed, out var error))
            {
                return Usage(error);
            }

            return await RunAsync(async () =>
            {
                await using var client = await RelayClient.ConnectAsync(address, ct);
                using var key = RelayProtocol.ImportKey(seed);
                var info = await client.InfoAsync(rid, key, ct);
                await Console.Out.WriteLineAsync($"secured: {info.Secured}\nsuspended: {info.Suspended}\npending: {info.PendingMessages}\nbalance: {info.Balance.Amount} {info.Balance.Unit}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static bool TryReadQueue(FileInfo file, out QueueFile queue, out PinnedAddress address, out byte[] recipientId, out byte[] seed, out string error)
    {
        queue = null!;
        address = null!;
        recipientId = [];
        seed = [];
        try
        {
            queue = JsonSerializer.Deserialize<QueueFile>(File.ReadAllBytes(file.FullName)) ?? throw new JsonException();
            if (!PinnedAddress.TryParse(queue.Relay, out var parsed, out error))
            {
                return false;
            }

            address = parsed;
            recipientId = Base64Url.DecodeFromChars(queue.RecipientId);
            seed = Base64Url.DecodeFromChars(queue.RecipientKey);
            error = string.Empty;
            return recipientId.Length == RelayProtocol.QueueIdLength && seed.Length == 32 || Fail(out error);
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or UnauthorizedAccessException or ArgumentNullException)
        {
            return Fail(out error);
        }

        bool Fail(out string message)
        {
            message = $"{file.FullName} is not a readable queue file";
            return false;
        }
    }

    private static bool TryToken(string? text, out byte[]? token)
    {
        token = null;
        if (text is null)
        {
            return true;
        }

        try
        {
            token = Base64Url.DecodeFromChars(text);
            return token.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return ExitCodes.Usage;
    }

    /// <summary>Relay refusals print their code and message (never a key or id) and exit 1.</summary>
    private static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (RelayCertificateMismatchException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (RelayException e)
        {
            await Console.Error.WriteLineAsync($"error: relay refused: {e.Message}");
            if (e.WwwAuthenticate is { } challenge)
            {
                await Console.Error.WriteLineAsync($"www-authenticate: {challenge}");
            }

            return ExitCodes.Failed;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"error: cannot reach the relay: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
