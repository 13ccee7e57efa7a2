using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SimpleXLedger.Epochs.Tests;

/// <summary>Deterministic test bytes (SHA-256 in counter mode over a label and seed), and the fixed epoch of the vectors.</summary>
internal static class TestData
{
    public static byte[] Bytes(string label, long seed, int length)
    {
        var output = new byte[length];
        var block = new byte[label.Length + 16];
        System.Text.Encoding.ASCII.GetBytes(label, block);
        for (var offset = 0; offset < length; offset += 32)
        {
            BinaryPrimitives.WriteInt64BigEndian(block.AsSpan(label.Length), seed);
            BinaryPrimitives.WriteInt64BigEndian(block.AsSpan(label.Length + 8), offset);
            SHA256.HashData(block).AsSpan(0, Math.Min(32, length - offset)).CopyTo(output.AsSpan(offset));
        }

        return output;
    }

    public static byte[] Repeat(byte value, int length) => Enumerable.Repeat(value, length).ToArray();

    public static byte[] Address(int n)
    {
        var address = new byte[20];
        BinaryPrimitives.WriteInt32BigEndian(address.AsSpan(16), n);
        return address;
    }

    public static readonly byte[] KeyA = Repeat(0x11, 32);
    public static readonly byte[] KeyB = Repeat(0x22, 32);
    public static readonly byte[] Ledger = Convert.FromHexString("5FbDB2315678afecb367f032d93F642f64180aa3");
    public static readonly byte[] FeeRecipient = Convert.FromHexString("90F79bf6EB2c4f870365E785982E1f101E93b906");

    public static EpochParameters Parameters(byte round = 0) => new(
        31337, Ledger, 7, round, FeeRecipient, 500, 2000,
        [new RegisteredKey(KeyA, 3), new RegisteredKey(KeyB, 1)]);

    /// <summary>
    /// The vector epoch: five redemptions added out of order — PAID 0x…02/keyA/01…, PAID 0x…01/keyB/03…, PAID 0x…01/keyA/02…,
    /// ROLLOVER (payee 0)/keyA/04… with ref 55…, PAID 0x…02/keyB/05…; authenticators A1…, A2…, … (256 bytes each).
    /// </summary>
    public static EpochBuilder VectorBuilder()
    {
        var builder = new EpochBuilder(Parameters());
        builder.Add(TokenKind.Paid, Address(2), KeyA, Repeat(0x01, 32), Repeat(0xA1, 256));
        builder.Add(TokenKind.Paid, Address(1), KeyB, Repeat(0x03, 32), Repeat(0xA2, 256));
        builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(0x02, 32), Repeat(0xA3, 256));
        builder.Add(TokenKind.Rollover, new byte[20], KeyA, Repeat(0x04, 32), Repeat(0xA4, 256), Repeat(0x55, 32));
        builder.Add(TokenKind.Paid, Address(2), KeyB, Repeat(0x05, 32), Repeat(0xA5, 256));
        return builder;
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>A random-looking epoch of <paramref name="tokens"/> tokens over <paramref name="payees"/> payees, a tenth non-paying.</summary>
    public static EpochData RandomEpoch(long seed, int tokens, int payees)
    {
        var builder = new EpochBuilder(Parameters());
        for (var i = 0; i < tokens; i++)
        {
            var nonPaying = i % 10 == 9;
            var payee = nonPaying ? new byte[20] : Address(1 + (int)((uint)BinaryPrimitives.ReadInt32BigEndian(Bytes("payee", seed * 1_000_003 + i, 4)) % (uint)payees));
            builder.Add(
                nonPaying ? TokenKind.Recoup : TokenKind.Paid,
                payee,
                i % 3 == 0 ? KeyA : KeyB,
                Bytes("nonce", seed * 1_000_003 + i, 32),
                Bytes("auth", i, 256),
                nonPaying ? Bytes("ref", i, 32) : default);
        }

        return builder.Build();
    }
}
