using Tandem.Configuration;

namespace Tandem.Server.Hosting;

/// <summary>
/// <c>server.inline_io</c>: socket completions run on the I/O threads. .NET reads its switch
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>) once, when the process first uses a socket, so it is set here,
/// before the gateway opens any; Kestrel's own switch is an option of its socket transport.
/// </summary>
internal static class InlineIo
{
    internal const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether I/O runs inline: the configuration asks for it, or the process was started with the variable set.</summary>
    public static bool Enable(ServerConfig server)
    {
        if (Environment.GetEnvironmentVariable(Variable) == "1")
        {
            return true;
        }

        if (!server.InlineIo)
        {
            return false;
        }

        Environment.SetEnvironmentVariable(Variable, "1");
        return true;
    }
}
