using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Devnet;

namespace SimpleXLedger.Chain.Tests.Accounts;

public sealed class EthereumKeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sxl-keyfile-").FullName;

    [Fact]
    public void A_generated_key_file_is_owner_only_and_reads_back_to_the_same_account()
    {
        var path = Path.Combine(_dir, "operator.key");
        var key = EthereumKeyFile.Generate(path);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(key.GetPublicAddress(), EthereumKeyFile.Read(path).GetPublicAddress());
        Assert.Throws<IOException>(() => EthereumKeyFile.Write(path, key)); // never overwrites a key
    }

    [Fact]
    public void Keys_readable_by_others_or_malformed_are_refused_without_showing_the_key()
    {
        var account = DevAccounts.Users[0];
        var loose = Path.Combine(_dir, "loose.key");
        File.WriteAllText(loose, account.PrivateKeyHex);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            var refused = Assert.Throws<KeyFileException>(() => EthereumKeyFile.Read(loose));
            Assert.DoesNotContain(account.PrivateKeyHex[2..12], refused.Message, StringComparison.OrdinalIgnoreCase);
            File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Assert.Equal(account.Address, EthereumKeyFile.Read(loose).GetPublicAddress(), ignoreCase: true);

        foreach (var bad in new[] { "", "0x1234", new string('g', 64), new string('0', 64) })
        {
            var path = Path.Combine(_dir, $"bad-{Guid.NewGuid():N}.key");
            File.WriteAllText(path, bad);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            Assert.Throws<KeyFileException>(() => EthereumKeyFile.Read(path));
        }

        Assert.Throws<KeyFileException>(() => EthereumKeyFile.Read(Path.Combine(_dir, "missing.key")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
