using System.Net;
using Microsoft.AspNetCore.Http;

namespace SimpleXLedger.Issuer.Hosting;

internal static class ClientAddress
{
    /// <summary>The connection's remote address, used only (keyed-hashed) by the wrong-code limiter.</summary>
    public static IPAddress? Of(HttpContext? context) => context?.Connection.RemoteIpAddress;
}
