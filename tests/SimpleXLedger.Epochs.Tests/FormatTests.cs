using static SimpleXLedger.Epochs.Tests.TestData;

namespace SimpleXLedger.Epochs.Tests;

/// <summary>The byte formats of docs/ledger-v2.md §5: exact sizes and offsets, round trips, typed refusals.</summary>
public sealed class FormatTests
{
    [Fact]
    public void Keccak_is_ethereums_keccak256_not_sha3()
    {
        Assert.Equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Hex(Keccak.Hash([])));
        Assert.Equal("0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", Hex(Keccak.Hash("abc"u8)));
    }

    [Fact]
    public void A_token_leaf_has_its_fields_at_the_documented_offsets_and_round_trips()
    {
        var leaf = new TokenLeaf(TokenKind.Rollover, new byte[20], KeyA, Repeat(0x04, 32), 0x01020304, Repeat(0x55, 32), Repeat(0xA4, 256));
        var bytes = leaf.Encode();

        Assert.Equal(378, bytes.Length);
        Assert.Equal(0x10, bytes[0]);
        Assert.Equal(0x02, bytes[1]);
        Assert.True(bytes.AsSpan(2, 20).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(KeyA, bytes[22..54]);
        Assert.Equal(Repeat(0x04, 32), bytes[54..86]);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, bytes[86..90]);
        Assert.Equal(Repeat(0x55, 32), bytes[90..122]);
        Assert.Equal(Repeat(0xA4, 256), bytes[122..378]);

        var back = TokenLeaf.Decode(bytes);
        Assert.Equal(bytes, back.Encode());
        Assert.Equal((TokenKind.Rollover, 0x01020304u), (back.Kind, back.Ordinal));
    }

    public static TheoryData<int, byte, EpochFormatError> BadTokenLeafBytes() => new()
    {
        { 0, 0x11, EpochFormatError.BadTag },
        { 1, 0x00, EpochFormatError.BadKind },
        { 1, 0x04, EpochFormatError.BadKind },
        { 1, 0x02, EpochFormatError.BadPayee }, // ROLLOVER with the PAID leaf's payee
        { 90, 0x01, EpochFormatError.BadRef }, // PAID with a ref
    };

    [Theory]
    [MemberData(nameof(BadTokenLeafBytes))]
    public void A_malformed_token_leaf_is_refused_with_its_reason(int offset, byte value, EpochFormatError expected)
    {
        var bytes = new TokenLeaf(TokenKind.Paid, Address(9), KeyA, Repeat(1, 32), 0, new byte[32], Repeat(2, 256)).Encode();
        bytes[offset] = value;
        Assert.Equal(expected, Assert.Throws<EpochFormatException>(() => TokenLeaf.Decode(bytes)).Error);
    }

    [Fact]
    public void A_paid_leaf_without_a_payee_and_leaves_of_the_wrong_length_are_refused()
    {
        Assert.Equal(EpochFormatError.BadPayee, Assert.Throws<EpochFormatException>(() => new TokenLeaf(TokenKind.Paid, new byte[20], KeyA, Repeat(1, 32), 0, new byte[32], Repeat(2, 256))).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => TokenLeaf.Decode(new byte[377])).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => new TokenLeaf(TokenKind.Paid, Address(1), KeyA, Repeat(1, 32), 0, new byte[32], Repeat(2, 255))).Error);
    }

    [Fact]
    public void A_payout_leaf_is_45_bytes_big_endian_and_round_trips()
    {
        var leaf = new PayoutLeaf(Address(0x0a0b), (UInt128.One << 100) + 7, 0x01020304, 0x0a0b0c0d);
        var bytes = leaf.Encode();

        Assert.Equal("20" + "000000000000000000000000000000000000" + "0a0b" + "00000010000000000000000000000007" + "01020304" + "0a0b0c0d", Convert.ToHexStringLower(bytes));
        var back = PayoutLeaf.Decode(bytes);
        Assert.Equal((leaf.Amount, leaf.Start, leaf.Count), (back.Amount, back.Start, back.Count));
        Assert.Equal(EpochFormatError.BadTag, Assert.Throws<EpochFormatException>(() => PayoutLeaf.Decode(new byte[45])).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => PayoutLeaf.Decode(bytes[..44])).Error);
    }

    [Fact]
    public void Key_counts_pack_six_bytes_each_strictly_by_index_and_at_most_five()
    {
        KeyCount[] counts = [new(1, 2), new(3, 0x01020304)];
        Assert.Equal("000100000002" + "000301020304", Convert.ToHexStringLower(KeyCount.Encode(counts)));
        Assert.Equal(counts, KeyCount.Decode(KeyCount.Encode(counts)));
        Assert.Equal(Keccak.Hash([]), KeyCount.Hash([]));

        Assert.Equal(EpochFormatError.BadKey, Assert.Throws<EpochFormatException>(() => KeyCount.Encode([new(3, 1), new(1, 1)])).Error);
        Assert.Equal(EpochFormatError.BadKey, Assert.Throws<EpochFormatException>(() => KeyCount.Encode([new(1, 1), new(1, 1)])).Error);
        Assert.Equal(EpochFormatError.BadKey, Assert.Throws<EpochFormatException>(() => KeyCount.Encode([.. Enumerable.Range(0, 6).Select(i => new KeyCount((ushort)i, 1))])).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => KeyCount.Decode(new byte[7])).Error);
    }

    [Fact]
    public void A_header_is_179_bytes_at_the_documented_offsets_and_round_trips()
    {
        var header = new EpochHeader(0x0102030405060708, Ledger, 0x1112131415161718, 0x21, Repeat(0x31, 32), 0x41424344, 0x51525354, Repeat(0x61, 32), 0x71727374, (UInt128)0x81 << 64, 0x91, Repeat(0xA1, 32));
        var b = header.Encode();

        Assert.Equal(179, b.Length);
        Assert.Equal("3001" + "0102030405060708", Convert.ToHexStringLower(b[..10]));
        Assert.Equal(Ledger, b[10..30]);
        Assert.Equal("1112131415161718" + "21", Convert.ToHexStringLower(b[30..39]));
        Assert.Equal(Repeat(0x31, 32), b[39..71]);
        Assert.Equal("41424344" + "51525354", Convert.ToHexStringLower(b[71..79]));
        Assert.Equal(Repeat(0x61, 32), b[79..111]);
        Assert.Equal("71727374", Convert.ToHexStringLower(b[111..115]));
        Assert.Equal("00000000000000810000000000000000" + "00000000000000000000000000000091", Convert.ToHexStringLower(b[115..147]));
        Assert.Equal(Repeat(0xA1, 32), b[147..179]);
        Assert.Equal(b, EpochHeader.Decode(b).Encode());
        Assert.Equal(Keccak.Hash(b), header.Commitment());

        var version2 = (byte[])b.Clone();
        version2[1] = 2;
        Assert.Equal(EpochFormatError.BadVersion, Assert.Throws<EpochFormatException>(() => EpochHeader.Decode(version2)).Error);
        Assert.Equal(EpochFormatError.BadTag, Assert.Throws<EpochFormatException>(() => EpochHeader.Decode(new byte[179])).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => EpochHeader.Decode(b[..178])).Error);
    }
}
