using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The one place that decides who a dashboard request is: the session cookie (<c>HttpOnly</c>,
/// <c>SameSite=Strict</c>, <c>Secure</c> over HTTPS) and, for every state-changing request, the session's CSRF token
/// in <c>X-CSRF-Token</c> (a synchroniser token: a cross-site page can neither read it nor make the browser send it).
/// </summary>
internal static class DashboardAuth
{
    public const string CookieName = "tandem_session";
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>The request's live session, or null.</summary>
    public static DashboardSession? Session(HttpContext ctx) =>
        ctx.RequestServices.GetRequiredService<DashboardSessions>().Find(ctx.Request.Cookies[CookieName]);

    /// <summary>Whether the request carries its session's CSRF token (compared in constant time).</summary>
    public static bool HasCsrfToken(HttpContext ctx, DashboardSession session)
    {
        var presented = ctx.Request.Headers[CsrfHeader].ToString();
        return presented.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(session.CsrfToken));
    }

    /// <summary>Sets the session cookie (path <c>/</c>: the dashboard also reads the <c>/admin</c> API with it).</summary>
    public static void SetCookie(HttpContext ctx, string sessionId) =>
        ctx.Response.Cookies.Append(CookieName, sessionId, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = ctx.Request.IsHttps,
            Path = "/",
            MaxAge = DashboardSessions.Lifetime,
            IsEssential = true,
        });

    public static void ClearCookie(HttpContext ctx) =>
        ctx.Response.Cookies.Delete(CookieName, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = ctx.Request.IsHttps, Path = "/" });
}
