using Microsoft.EntityFrameworkCore;

namespace SimpleXLedger.Issuer.Storage;

/// <summary>Whether a data directory belongs to a development issuer or to one bound to a ledger.</summary>
public enum IssuerMode
{
    Development,
    Ledger,
}

/// <summary>
/// The issuer's data directory: created owner-only (0700), its database migrated, and its mode recorded at first
/// use. A directory used in development mode (where cards are active without funding) is never bound to a
/// ledger later, so no unfunded card can reach a real network.
/// </summary>
public static class DataDirectory
{
    public const string ModeSetting = "mode";
    public const string LedgerSetting = "ledger";
    public const string WindowsSetting = "key-windows";
    public const string DevnetSetting = "devnet";

    public static void Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Creates and migrates; records the mode on first use and refuses a change of mode later.</summary>
    public static async Task<IssuerMode> OpenAsync(IssuerSettings settings, IssuerMode? wanted, string? ledgerAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Create(settings.DataDirectory);
        await IssuerDatabase.MigrateAsync(settings.DatabasePath, cancellationToken);
        await using var db = new IssuerDbContext(IssuerDatabase.Options(settings.DatabasePath));
        var stored = await db.Settings.AsNoTracking().ToDictionaryAsync(s => s.Name, s => s.Value, cancellationToken);
        IssuerMode mode;
        if (stored.TryGetValue(ModeSetting, out var text))
        {
            mode = Enum.Parse<IssuerMode>(text);
            if (wanted is not null && wanted != mode)
            {
                throw new InvalidOperationException(mode == IssuerMode.Development
                    ? "this data directory was used in development mode (cards active without funding); use a new data directory with a ledger"
                    : "this data directory belongs to an issuer bound to a ledger; give its --rpc, --ledger and --key");
            }

            if (mode == IssuerMode.Ledger && ledgerAddress is not null && stored.TryGetValue(LedgerSetting, out var address)
                && !string.Equals(address, ledgerAddress, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"this data directory is bound to ledger {address}");
            }
        }
        else
        {
            mode = wanted ?? IssuerMode.Development;
            Put(db, ModeSetting, mode.ToString());
            if (ledgerAddress is not null)
            {
                Put(db, LedgerSetting, ledgerAddress);
            }
        }

        // The windows in force are recorded so that `sxl issuer keys rotate` plans exactly as the server does.
        if (wanted is not null)
        {
            Put(db, WindowsSetting, settings.Windows.Serialize(), stored);
            Put(db, DevnetSetting, settings.Devnet ? "true" : "false", stored);
        }

        await db.SaveChangesAsync(cancellationToken);
        return mode;
    }

    /// <summary>The settings a previous <c>serve</c> recorded (windows, devnet), for the offline commands.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadSettingsAsync(string databasePath, CancellationToken cancellationToken = default)
    {
        await using var db = new IssuerDbContext(IssuerDatabase.Options(databasePath));
        return await db.Settings.AsNoTracking().ToDictionaryAsync(s => s.Name, s => s.Value, cancellationToken);
    }

    private static void Put(IssuerDbContext db, string name, string value, IReadOnlyDictionary<string, string>? existing = null)
    {
        if (existing is not null && existing.ContainsKey(name))
        {
            var row = db.Settings.Single(s => s.Name == name);
            row.Value = value;
        }
        else
        {
            db.Settings.Add(new SettingRow { Name = name, Value = value });
        }
    }
}
