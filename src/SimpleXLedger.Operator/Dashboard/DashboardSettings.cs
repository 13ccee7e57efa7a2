using System.Numerics;
using SimpleXLedger.Net;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>What the dashboard shows beyond the chain and the receipts, and when it raises an alarm.</summary>
public sealed record DashboardSettings
{
    /// <summary>The payee whose earnings are shown (0x…).</summary>
    public required string Payee { get; init; }

    /// <summary>The relay whose health is shown, or null.</summary>
    public PinnedAddress? Relay { get; init; }

    /// <summary>The clearing house, probed for health (its leaf lists are read through the watcher's client).</summary>
    public PinnedAddress? Clearing { get; init; }

    /// <summary>A block explorer's transaction URL with <c>{tx}</c> for the hash (https only), or null: hashes are shown unlinked.</summary>
    public string? TransactionUrl { get; init; }

    /// <summary>Alarm when the payee's ETH balance (for gas) is below this many wei.</summary>
    public BigInteger GasAlarmWei { get; init; } = BigInteger.Pow(10, 16);

    /// <summary>How long a health probe may take.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The link for a transaction, or null without <see cref="TransactionUrl"/>.</summary>
    public Uri? LinkOf(string transactionHash) =>
        TransactionUrl is null ? null : new Uri(TransactionUrl.Replace("{tx}", Uri.EscapeDataString(transactionHash), StringComparison.Ordinal));

    /// <summary>The usage error in these settings, or null.</summary>
    public string? Validate()
    {
        if (TransactionUrl is not null && (!TransactionUrl.Contains("{tx}", StringComparison.Ordinal)
            || !Uri.TryCreate(TransactionUrl.Replace("{tx}", "0x00", StringComparison.Ordinal), UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps))
        {
            return "--tx-url must be an https URL containing {tx}, for example https://etherscan.io/tx/{tx}";
        }

        return GasAlarmWei < 0 ? "--gas-alarm-wei must not be negative" : null;
    }
}
