using System.Text;

namespace Tandem.Tests.Common;

/// <summary>Request bodies for raw HTTP calls (tests that must control the exact bytes, not the SDK).</summary>
public static class HttpBodies
{
    /// <summary>The text as an <c>application/json</c> UTF-8 body, sent as is.</summary>
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
