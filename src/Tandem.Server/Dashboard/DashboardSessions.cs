using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Tandem.Server.Dashboard;

/// <summary>
/// Who is signed in to the dashboard: a name and a role. Today the admin key is the only way in, as
/// <c>("admin", "admin")</c>; roles from keys (viewer, operator, admin) map onto this one type.
/// </summary>
/// <param name="Name">Who, as recorded with each action.</param>
/// <param name="Role">What they may do: <c>admin</c>.</param>
public sealed record DashboardPrincipal(string Name, string Role)
{
    /// <summary>The holder of the admin key.</summary>
    public static DashboardPrincipal Admin { get; } = new("admin", "admin");
}

/// <summary>One signed-in browser: its principal, its CSRF token and when it stops being valid.</summary>
/// <param name="Principal">Who.</param>
/// <param name="CsrfToken">The synchroniser token every state-changing request must send in <c>X-CSRF-Token</c>.</param>
/// <param name="Expires">Absolute expiry.</param>
internal sealed record DashboardSession(DashboardPrincipal Principal, string CsrfToken, DateTimeOffset Expires);

/// <summary>
/// Server-side dashboard sessions, kept in memory: the cookie carries only a random id, so signing out or a restart
/// ends a session at once, and nothing about the key is ever in the browser. Sessions last
/// <see cref="Lifetime"/> from sign-in; at most <see cref="MaxSessions"/> live at once (the oldest go first).
/// </summary>
internal sealed class DashboardSessions(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    public const int MaxSessions = 1000;

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session; returns its id (the cookie's value) and the session.</summary>
    public (string Id, DashboardSession Session) Create(DashboardPrincipal principal)
    {
        var now = time.GetUtcNow();
        foreach (var (id, s) in _sessions)
        {
            if (s.Expires <= now)
            {
                _sessions.TryRemove(id, out _);
            }
        }

        while (_sessions.Count >= MaxSessions && _sessions.MinBy(p => p.Value.Expires) is { Key: { } oldest })
        {
            _sessions.TryRemove(oldest, out _);
        }

        var session = new DashboardSession(principal, NewToken(), now + Lifetime);
        var sessionId = NewToken();
        _sessions[sessionId] = session;
        return (sessionId, session);
    }

    /// <summary>The live session of <paramref name="id"/>, or null (unknown or expired).</summary>
    public DashboardSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        if (session.Expires <= time.GetUtcNow())
        {
            _sessions.TryRemove(id, out _);
            return null;
        }

        return session;
    }

    /// <summary>Ends a session.</summary>
    public void Remove(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _sessions.TryRemove(id, out _);
        }
    }

    /// <summary>256 random bits, URL-safe.</summary>
    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
