using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace SimpleXLedger.Issuer.Hosting;

/// <summary>
/// The origin the issuer's own HTTP listener has, from its configuration (or, for a port chosen at start, from what
/// the server bound: the HTTP listener is the first one). Used on the devnet only, where no public origin is set;
/// never from a request.
/// </summary>
public sealed class IssuerHttpOrigin(IssuerEndpoints endpoints, IServer server)
{
    private Uri? _uri;

    public Uri? Uri => _uri ??= Resolve();

    private Uri? Resolve()
    {
        if (endpoints.Http.Port != 0)
        {
            return new Uri(IssuerHost.UrlOf(endpoints.Http, endpoints));
        }

        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return bound is null ? null : new Uri(bound);
    }
}
