using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Registry;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>The settlement parts of a clearing house, made from its services and a ledger client holding the clearing house's key.</summary>
public sealed record SettlementParts(EpochCloser Closer, DisputeAnswerer Answerer)
{
    public static SettlementParts Create(IServiceProvider services, LedgerClient ledger, ILogger logger, SettlementFault? fault = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var closer = new EpochCloser(
            services.GetRequiredService<IServiceScopeFactory>(),
            services.GetRequiredService<ClearingSettings>(),
            services.GetRequiredService<IKeyRegistry>(),
            services.GetRequiredService<EpochSchedule>(),
            ledger,
            logger,
            fault);
        return new SettlementParts(closer, new DisputeAnswerer(closer.Store, ledger, logger));
    }
}
