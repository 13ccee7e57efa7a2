using System.Buffers.Binary;

namespace SimpleXLedger.Audit.Wire;

/// <summary>How far <see cref="TlsClientHello.TryParse"/> got with the bytes it was given.</summary>
public enum ClientHelloParse
{
    /// <summary>A whole ClientHello was read.</summary>
    Parsed,

    /// <summary>The bytes so far are the start of a ClientHello; more are needed.</summary>
    NeedMoreData,

    /// <summary>The bytes are not a TLS ClientHello (or are malformed).</summary>
    NotClientHello,
}

/// <summary>
/// The first TLS handshake message a client sends, read from the bytes of a connection as they pass on the wire:
/// handshake records (content type 0x16) are joined, the handshake message must be a ClientHello (type 0x01), and
/// its extensions are listed in order. Enough to tell whether a client offered to resume a session
/// (<see cref="PreSharedKeyExtension"/>, TLS 1.3) or sent a session ticket (<see cref="SessionTicketExtension"/>, TLS 1.2).
/// </summary>
public sealed class TlsClientHello
{
    public const byte HandshakeRecord = 0x16;
    public const byte ClientHelloType = 0x01;
    public const ushort ServerNameExtension = 0x0000;
    public const ushort SessionTicketExtension = 0x0023;
    public const ushort PreSharedKeyExtension = 0x0029;

    private TlsClientHello(ushort legacyVersion, int sessionIdLength, IReadOnlyList<ushort> extensions, IReadOnlyDictionary<ushort, byte[]> extensionData)
    {
        LegacyVersion = legacyVersion;
        SessionIdLength = sessionIdLength;
        Extensions = extensions;
        ExtensionData = extensionData;
    }

    /// <summary>The ClientHello's legacy_version (0x0303 for TLS 1.2 and 1.3).</summary>
    public ushort LegacyVersion { get; }

    public int SessionIdLength { get; }

    /// <summary>Extension types, in the order the client sent them.</summary>
    public IReadOnlyList<ushort> Extensions { get; }

    /// <summary>Each extension's body (the first one, should a client repeat a type).</summary>
    public IReadOnlyDictionary<ushort, byte[]> ExtensionData { get; }

    /// <summary>True when the client offered a TLS 1.3 pre-shared key, i.e. tried to resume an earlier session.</summary>
    public bool HasPreSharedKey => Extensions.Contains(PreSharedKeyExtension);

    /// <summary>True when the client sent a non-empty TLS 1.2 session ticket (an empty one only says it accepts tickets).</summary>
    public bool HasSessionTicket => ExtensionData.TryGetValue(SessionTicketExtension, out var ticket) && ticket.Length > 0;

    public bool Has(ushort extension) => Extensions.Contains(extension);

    /// <summary>Reads a ClientHello from the first bytes a client sent on a connection.</summary>
    public static ClientHelloParse TryParse(ReadOnlySpan<byte> wire, out TlsClientHello? hello)
    {
        hello = null;

        // Join the bodies of the leading handshake records until the handshake message is complete.
        var handshake = new List<byte>();
        var offset = 0;
        int? messageLength = null;
        while (messageLength is null || handshake.Count < messageLength + 4)
        {
            if (wire.Length - offset < 5)
            {
                return wire.Length > offset && wire[offset] != HandshakeRecord ? ClientHelloParse.NotClientHello : ClientHelloParse.NeedMoreData;
            }

            if (wire[offset] != HandshakeRecord || wire[offset + 1] != 0x03)
            {
                return ClientHelloParse.NotClientHello;
            }

            var recordLength = BinaryPrimitives.ReadUInt16BigEndian(wire.Slice(offset + 3, 2));
            if (recordLength == 0 || recordLength > (1 << 14))
            {
                return ClientHelloParse.NotClientHello;
            }

            if (wire.Length - offset - 5 < recordLength)
            {
                return ClientHelloParse.NeedMoreData;
            }

            handshake.AddRange(wire.Slice(offset + 5, recordLength));
            offset += 5 + recordLength;
            if (messageLength is null && handshake.Count >= 4)
            {
                if (handshake[0] != ClientHelloType)
                {
                    return ClientHelloParse.NotClientHello;
                }

                messageLength = (handshake[1] << 16) | (handshake[2] << 8) | handshake[3];
            }
        }

        return Parse(handshake.ToArray().AsSpan(4, messageLength.Value), out hello) ? ClientHelloParse.Parsed : ClientHelloParse.NotClientHello;
    }

    private static bool Parse(ReadOnlySpan<byte> body, out TlsClientHello? hello)
    {
        hello = null;
        var reader = new Reader(body);
        if (!reader.TryU16(out var version) || !reader.TrySkip(32) || !reader.TryU8(out var sessionIdLength) || !reader.TrySkip(sessionIdLength)
            || !reader.TryU16(out var suitesLength) || !reader.TrySkip(suitesLength) || !reader.TryU8(out var compressionLength) || !reader.TrySkip(compressionLength))
        {
            return false;
        }

        var types = new List<ushort>();
        var data = new Dictionary<ushort, byte[]>();
        if (reader.Remaining > 0)
        {
            if (!reader.TryU16(out var extensionsLength) || extensionsLength != reader.Remaining)
            {
                return false;
            }

            while (reader.Remaining > 0)
            {
                if (!reader.TryU16(out var type) || !reader.TryU16(out var length) || !reader.TryTake(length, out var extension))
                {
                    return false;
                }

                types.Add(type);
                data.TryAdd(type, extension.ToArray());
            }
        }

        hello = new TlsClientHello(version, sessionIdLength, types, data);
        return true;
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _bytes = bytes;

        public readonly int Remaining => _bytes.Length;

        public bool TryU8(out int value)
        {
            value = 0;
            if (_bytes.Length < 1)
            {
                return false;
            }

            value = _bytes[0];
            _bytes = _bytes[1..];
            return true;
        }

        public bool TryU16(out ushort value)
        {
            value = 0;
            if (_bytes.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_bytes);
            _bytes = _bytes[2..];
            return true;
        }

        public bool TrySkip(int count) => TryTake(count, out _);

        public bool TryTake(int count, out ReadOnlySpan<byte> taken)
        {
            taken = default;
            if (_bytes.Length < count)
            {
                return false;
            }

            taken = _bytes[..count];
            _bytes = _bytes[count..];
            return true;
        }
    }
}
