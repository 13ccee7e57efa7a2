using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SimpleXLedger.Wallet.Storage;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Storage;

/// <summary>The encrypted wallet file: passphrase, tampering (row and header), row swapping, locking, KDF parameters.</summary>
public sealed class WalletFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void A_wallet_reopens_with_its_passphrase_and_stored_KDF_parameters_and_keeps_its_records()
    {
        var path = _dir.File("w.sxlw");
        var tokens = new List<byte[]>();
        using (var wallet = TestWallets.Create(path))
        {
            tokens.AddRange(AddTokens(wallet, 3));
            wallet.SaveProfile(new WalletProfile { IssuerGrpc = "https://issuer.example:8444" });
        }

        using var reopened = UserWallet.Open(path, TestWallets.Passphrase);
        Assert.Equal(KdfParameters.WeakForTests, reopened.Kdf);
        Assert.Equal(3, reopened.AvailableTokens);
        Assert.Equal("https://issuer.example:8444", reopened.Profile.IssuerGrpc);
        var stored = reopened.Read(s => s.Tokens.Values.Select(t => Convert.ToHexString(t.Token)).Order().ToList());
        Assert.Equal(tokens.Select(Convert.ToHexString).Order(), stored);
    }

    [Fact]
    public void Secrets_are_never_in_the_file_in_plaintext()
    {
        var path = _dir.File("w.sxlw");
        byte[] token;
        using (var wallet = TestWallets.Create(path))
        {
            token = AddTokens(wallet, 1)[0];
        }

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(token.AsSpan(2, 32)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(token.AsSpan(token.Length - 64)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void A_wrong_passphrase_is_a_typed_error_and_changes_nothing()
    {
        var path = _dir.File("w.sxlw");
        using (var wallet = TestWallets.Create(path))
        {
            AddTokens(wallet, 2);
        }

        var before = Digest(path);
        var e = Assert.Throws<WalletException>(() => UserWallet.Open(path, "correct horse battery stapler"));
        Assert.Equal(WalletError.WrongPassphrase, e.Error);
        Assert.DoesNotContain("stapler", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Digest(path));

        // And the right one still opens it.
        using var wallet2 = UserWallet.Open(path, TestWallets.Passphrase);
        Assert.Equal(2, wallet2.AvailableTokens);
    }

    [Fact]
    public void A_flipped_byte_in_a_record_is_detected_and_nothing_is_changed()
    {
        var path = _dir.File("w.sxlw");
        using (var wallet = TestWallets.Create(path))
        {
            AddTokens(wallet, 2);
        }

        var sealedToken = Column(path, "SELECT sealed FROM records LIMIT 1");
        FlipInFile(path, sealedToken[..128], 64); // a sealed record (1 KiB) may spill onto an overflow page: flip in its start
        var before = Digest(path);

        var e = Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase));
        Assert.Equal(WalletError.Tampered, e.Error);
        Assert.Contains("record", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Digest(path));
    }

    [Theory]
    [InlineData("salt")]
    [InlineData("wallet_id")]
    [InlineData("key_check")]
    public void A_flipped_byte_in_the_header_is_detected_as_tampering_not_as_a_wrong_passphrase(string column)
    {
        var path = _dir.File("w.sxlw");
        using (var wallet = TestWallets.Create(path))
        {
            AddTokens(wallet, 1);
        }

        var value = Column(path, $"SELECT {column} FROM wallet_header");
        FlipInFile(path, value, 3);
        var before = Digest(path);

        var e = Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase));
        Assert.Equal(WalletError.Tampered, e.Error);
        Assert.Equal(before, Digest(path));
    }

    [Fact]
    public void Weakened_KDF_parameters_written_into_the_header_do_not_open_the_wallet()
    {
        var path = _dir.File("w.sxlw");
        TestWallets.Create(path).Dispose();
        Execute(path, "UPDATE wallet_header SET kdf_memory_kib = 8");

        var e = Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase));
        Assert.Equal(WalletError.Tampered, e.Error);
    }

    [Fact]
    public void Rows_swapped_between_records_do_not_authenticate()
    {
        var path = _dir.File("w.sxlw");
        using (var wallet = TestWallets.Create(path))
        {
            AddTokens(wallet, 2);
        }

        // Give the last row the first one's sealed value and nonce: valid ciphertext, wrong row.
        Execute(path, """
            UPDATE records SET (nonce, sealed) = (SELECT nonce, sealed FROM records ORDER BY slot LIMIT 1)
            WHERE slot = (SELECT slot FROM records ORDER BY slot DESC LIMIT 1)
            """);
        var e = Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase));
        Assert.Equal(WalletError.Tampered, e.Error);

        // Nor does a row moved to a slot of its own (its slot is in its associated data).
        var other = _dir.File("w2.sxlw");
        using (var wallet = TestWallets.Create(other))
        {
            AddTokens(wallet, 1);
        }

        Execute(other, "UPDATE records SET slot = randomblob(16)");
        Assert.Equal(WalletError.Tampered, Assert.Throws<WalletException>(() => UserWallet.Open(other, TestWallets.Passphrase)).Error);
    }

    [Fact]
    public void A_record_from_another_wallet_does_not_authenticate_even_under_the_same_passphrase()
    {
        var a = _dir.File("a.sxlw");
        var b = _dir.File("b.sxlw");
        using (var wallet = TestWallets.Create(a))
        {
            AddTokens(wallet, 1);
        }

        using (var wallet = TestWallets.Create(b))
        {
            AddTokens(wallet, 1);
        }

        var (nonce, sealedValue) = (Column(a, "SELECT nonce FROM records ORDER BY slot LIMIT 1"), Column(a, "SELECT sealed FROM records ORDER BY slot LIMIT 1"));
        using (var db = new SqliteConnection($"Data Source={b};Pooling=False"))
        {
            db.Open();
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE records SET nonce = $n, sealed = $s";
            update.Parameters.AddWithValue("$n", nonce);
            update.Parameters.AddWithValue("$s", sealedValue);
            update.ExecuteNonQuery();
        }

        Assert.Equal(WalletError.Tampered, Assert.Throws<WalletException>(() => UserWallet.Open(b, TestWallets.Passphrase)).Error);
    }

    [Fact]
    public void One_wallet_is_open_once_and_is_never_overwritten()
    {
        var path = _dir.File("w.sxlw");
        using var wallet = TestWallets.Create(path);
        Assert.Equal(WalletError.InUse, Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase)).Error);
        Assert.Equal(WalletError.AlreadyExists, Assert.Throws<WalletException>(() => TestWallets.Create(path)).Error);
        Assert.Equal(WalletError.WeakPassphrase, Assert.Throws<WalletException>(() => UserWallet.Create(_dir.File("x.sxlw"), "short", KdfParameters.WeakForTests)).Error);
        Assert.False(File.Exists(_dir.File("x.sxlw")));
        Assert.Equal(WalletError.NotFound, Assert.Throws<WalletException>(() => UserWallet.Open(_dir.File("none.sxlw"), TestWallets.Passphrase)).Error);
        Assert.Equal(WalletError.InvalidKdfParameters, Assert.Throws<WalletException>(() => UserWallet.Create(_dir.File("y.sxlw"), TestWallets.Passphrase, new KdfParameters(1, 1))).Error);
    }

    [Fact]
    public void Other_files_are_not_wallets()
    {
        var random = _dir.File("random.bin");
        File.WriteAllBytes(random, RandomNumberGenerator.GetBytes(4096));
        Assert.Equal(WalletError.Tampered, Assert.Throws<WalletException>(() => UserWallet.Open(random, TestWallets.Passphrase)).Error);

        var other = _dir.File("other.db");
        Execute(other, "CREATE TABLE t (x INTEGER)", create: true);
        Assert.Equal(WalletError.NotAWallet, Assert.Throws<WalletException>(() => UserWallet.Open(other, TestWallets.Passphrase)).Error);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Stand-in token records (random bytes): the file layer does not look inside them.</summary>
    internal static List<byte[]> AddTokens(UserWallet wallet, int count)
    {
        var tokens = Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetBytes(354)).ToList();
        wallet.Mutate((_, c) =>
        {
            foreach (var t in tokens)
            {
                c.Put(new TokenRecord { Id = WalletChanges.NewId(), Token = t, KeyId = "00" });
            }
        });
        return tokens;
    }

    private static string Digest(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    internal static byte[] Column(string path, string sql)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return (byte[])command.ExecuteScalar()!;
    }

    internal static void Execute(string path, string sql, bool create = false)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False;Mode={(create ? "ReadWriteCreate" : "ReadWrite")}");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Flips one bit of a value where it sits in the file's pages (the bytes, not through SQLite).</summary>
    internal static void FlipInFile(string path, byte[] value, int offset)
    {
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf(value);
        Assert.True(at >= 0, "the value was not found in the file");
        Assert.Equal(-1, bytes.AsSpan(at + 1).IndexOf(value));
        bytes[at + offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}
