using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using SimpleXLedger.Net;

namespace SimpleXLedger.Relay.Client;

/// <summary>
/// What a recipient hands to a sender: the relay address, the queue's sender id, and (when the
/// recipient secured the queue with a key it made for the sender) that sender key's seed, after '#'
/// as SimpleX puts keys in the fragment: <c>sxl://fp@host:port/send/&lt;sender id&gt;#&lt;sender key&gt;</c>.
/// </summary>
public sealed record SenderLink(PinnedAddress Relay, byte[] SenderId, byte[]? SenderKeySeed)
{
    private const string Path = "/send/";

    public override string ToString()
    {
        var text = Relay + Path + Base64Url.EncodeToString(SenderId);
        return SenderKeySeed is null ? text : text + "#" + Base64Url.EncodeToString(SenderKeySeed);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out SenderLink? link)
    {
        link = null;
        if (text is null)
        {
            return false;
        }

        var at = text.IndexOf(Path, StringComparison.Ordinal);
        if (at <= 0 || !PinnedAddress.TryParse(text[..at], out var relay, out _))
        {
            return false;
        }

        var rest = text[(at + Path.Length)..];
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        try
        {
            var senderId = Base64Url.DecodeFromChars(hash < 0 ? rest.AsSpan() : rest.AsSpan(0, hash));
            var seed = hash < 0 ? null : Base64Url.DecodeFromChars(rest.AsSpan(hash + 1));
            if (senderId.Length != RelayProtocol.QueueIdLength || seed is { Length: not 32 })
            {
                return false;
            }

            link = new SenderLink(relay, senderId, seed);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
