using Microsoft.Extensions.Primitives;

namespace Tandem.Server.Proxy;

/// <summary>Request ids: the client's <c>x-request-id</c> when it is sane, else a new time-ordered one.</summary>
internal static class RequestIds
{
    public static string From(StringValues header)
    {
        if (header.Count == 1 && header[0] is { Length: > 0 and <= 128 } id && IsPrintableAscii(id))
        {
            return id;
        }

        return "req_" + Guid.CreateVersion7().ToString("N");
    }

    private static bool IsPrintableAscii(string s)
    {
        foreach (var c in s)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
