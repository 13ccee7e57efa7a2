using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Tests.Keys;

public class RotateKeysTests
{
    [Fact]
    public async Task Rotation_prepares_the_next_key_owner_only_on_disk_and_never_a_second_one()
    {
        await using var issuer = await TestIssuer.StartAsync();

        var first = await issuer.Send(new RotateKeys(Force: true));
        var second = await issuer.Send(new RotateKeys(Force: true));

        Assert.NotNull(first.PreparedKeyId);
        Assert.Null(second.PreparedKeyId);
        var keys = await issuer.Db(db => db.TokenKeys.AsNoTracking().OrderBy(k => k.UsableFrom).ToListAsync());
        Assert.Equal(2, keys.Count);
        Assert.Equal(keys[0].IssueUntil, keys[1].UsableFrom);
        Assert.Equal(KeyAnchoring.Local, keys[1].Anchoring);

        var file = Path.Combine(issuer.Settings.DataDirectory, "keys", first.PreparedKeyId![2..] + ".pem");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
        Assert.Contains("BEGIN PRIVATE KEY", await File.ReadAllTextAsync(file), StringComparison.Ordinal);

        // The prepared key takes over exactly when the first stops issuing.
        issuer.Time.Advance(TimeSpan.FromSeconds(keys[0].IssueUntil - issuer.Time.UnixNow));
        var issuing = KeySchedule.IssuingAt(await issuer.Db(db => db.TokenKeys.AsNoTracking().ToListAsync()), issuer.Time.UnixNow, development: true);
        Assert.Equal(first.PreparedKeyId, issuing!.Id);
    }

    [Fact]
    public async Task With_a_passphrase_the_key_file_is_encrypted_and_still_signs()
    {
        await using var issuer = await TestIssuer.StartAsync(configure: s => s with { KeyPassphrase = "correct horse battery staple" }, seedKey: false);

        var made = await issuer.Send(new RotateKeys());

        var file = Path.Combine(issuer.Settings.DataDirectory, "keys", made.PreparedKeyId![2..] + ".pem");
        var pem = await File.ReadAllTextAsync(file);
        Assert.Contains("ENCRYPTED PRIVATE KEY", pem, StringComparison.Ordinal);
        using var wrong = new KeyFiles(issuer.Settings.DataDirectory, "wrong");
        Assert.Throws<TokenKeyFileException>(() => wrong.Open(made.PreparedKeyId));
        using var none = new KeyFiles(issuer.Settings.DataDirectory, null);
        Assert.Throws<TokenKeyFileException>(() => none.Open(made.PreparedKeyId));
        using var right = new KeyFiles(issuer.Settings.DataDirectory, "correct horse battery staple");
        Assert.Equal(made.PreparedKeyId, "0x" + right.Open(made.PreparedKeyId).PublicKey.KeyIdHex);
    }
}
