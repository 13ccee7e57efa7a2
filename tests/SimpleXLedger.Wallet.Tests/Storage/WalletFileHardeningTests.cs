using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using SimpleXLedger.Wallet.Storage;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Storage;

/// <summary>Issue 21, point 7: what the wallet file shows without the passphrase, and what it keeps after a delete.</summary>
public sealed class WalletFileHardeningTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void The_file_shows_no_record_kind_and_no_count_by_kind()
    {
        var path = _dir.File("w.sxlw");
        using (var wallet = TestWallets.Create(path))
        {
            WalletFileTests.AddTokens(wallet, 3);
            wallet.SaveProfile(new WalletProfile { IssuerGrpc = "https://issuer.example:8444" });
        }

        var bytes = File.ReadAllBytes(path);
        foreach (var kind in new[] { "token", "card", "queue", "batch", "topup", "spent", "settings", "kind" })
        {
            Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(kind)) < 0, $"the file holds '{kind}' in clear");
        }

        // Every row seals to the same size: a token and the settings cannot be told apart by length.
        using var db = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT DISTINCT length(sealed) FROM records";
        using var r = command.ExecuteReader();
        var lengths = new List<long>();
        while (r.Read())
        {
            lengths.Add(r.GetInt64(0));
        }

        Assert.Single(lengths);
    }

    [Fact]
    public void A_row_moved_to_another_id_fails_authentication()
    {
        var path = _dir.File("w.sxlw");
        using (var wallet = TestWallets.Create(path))
        {
            WalletFileTests.AddTokens(wallet, 2);
        }

        // Swap the two rows' ids (slots): each sealed value now sits under the other's id.
        var first = Convert.ToHexString(WalletFileTests.Column(path, "SELECT min(slot) FROM records"));
        var second = Convert.ToHexString(WalletFileTests.Column(path, "SELECT max(slot) FROM records"));
        WalletFileTests.Execute(path, $"UPDATE records SET slot = X'00' WHERE slot = X'{first}'");
        WalletFileTests.Execute(path, $"UPDATE records SET slot = X'{first}' WHERE slot = X'{second}'");
        WalletFileTests.Execute(path, $"UPDATE records SET slot = X'{second}' WHERE slot = X'00'");
        Assert.Equal(WalletError.Tampered, Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase)).Error);
    }

    [Fact]
    public void An_older_format_is_refused_as_unsupported()
    {
        var path = _dir.File("w.sxlw");
        TestWallets.Create(path).Dispose();
        WalletFileTests.Execute(path, "UPDATE wallet_header SET format = 1");

        Assert.Equal(WalletError.UnsupportedFormat, Assert.Throws<WalletException>(() => UserWallet.Open(path, TestWallets.Passphrase)).Error);
    }

    [Fact]
    public void Secure_delete_is_on_and_a_deleted_record_leaves_no_bytes_in_the_file()
    {
        var path = _dir.File("w.sxlw");
        var kept = RandomNumberGenerator.GetBytes(300);
        var deleted = RandomNumberGenerator.GetBytes(300);
        var keptId = RandomNumberGenerator.GetBytes(16);
        var deletedId = RandomNumberGenerator.GetBytes(16);
        using (var file = WalletFile.Create(path, TestWallets.Passphrase, KdfParameters.WeakForTests))
        {
            file.Write([RecordChange.Put("batch", keptId, kept), RecordChange.Put("batch", deletedId, deleted)]);
        }

        var sealedRows = Rows(path);
        Assert.Equal(2, sealedRows.Count);

        var (reopened, _) = WalletFile.Open(path, TestWallets.Passphrase);
        using (reopened)
        {
            Assert.True(reopened.SecureDelete);
            reopened.Write([RecordChange.Delete("batch", deletedId)]);
        }

        var bytes = File.ReadAllBytes(path);
        var left = Rows(path);
        Assert.Single(left);
        foreach (var row in sealedRows)
        {
            var present = bytes.AsSpan().IndexOf(row.AsSpan(0, 64)) >= 0;
            Assert.Equal(left.Any(l => CryptographicOperations.FixedTimeEquals(l, row)), present);
        }

        var (again, records) = WalletFile.Open(path, TestWallets.Passphrase);
        again.Dispose();
        var record = Assert.Single(records);
        Assert.True(CryptographicOperations.FixedTimeEquals(kept, record.Plaintext));
    }

    [Theory]
    [InlineData(32 * 1024, 2)]
    [InlineData(64 * 1024, 1)]
    [InlineData(1024, 2)]
    [InlineData(8, 1)]
    public void KDF_parameters_below_64_MiB_or_2_passes_are_refused(long memoryKib, long passes)
    {
        var path = _dir.File("w.sxlw");
        var e = Assert.Throws<WalletException>(() => UserWallet.Create(path, TestWallets.Passphrase, new KdfParameters(memoryKib, passes)));
        Assert.Equal(WalletError.InvalidKdfParameters, e.Error);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_minimum_KDF_parameters_are_accepted()
    {
        var path = _dir.File("w.sxlw");
        using var wallet = UserWallet.Create(path, TestWallets.Passphrase, KdfParameters.Interactive);
        Assert.Equal(KdfParameters.Interactive, wallet.Kdf);
    }

    private static List<byte[]> Rows(string path)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT sealed FROM records";
        using var r = command.ExecuteReader();
        var rows = new List<byte[]>();
        while (r.Read())
        {
            rows.Add((byte[])r.GetValue(0));
        }

        return rows;
    }

    public void Dispose() => _dir.Dispose();
}
