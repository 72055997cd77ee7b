using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Tandem.Server.Dashboard;

/// <summary>
/// The dashboard's built front end (<c>dashboard/dist</c>), embedded in this assembly at build time so that
/// <c>tandem serve</c> needs neither the files nor a CDN. Each file is held in memory with a gzip copy (sent when the
/// browser accepts gzip) and a strong ETag. Vite names bundles by content hash, so <c>assets/*</c> may be cached for a
/// year; <c>index.html</c> is revalidated each time.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";
    private readonly FrozenDictionary<string, Asset> _files;

    private DashboardAssets(FrozenDictionary<string, Asset> files) => _files = files;

    /// <summary>Relative paths of the embedded files (<c>index.html</c>, <c>assets/index-HASH.js</c>…).</summary>
    public IEnumerable<string> Paths => _files.Keys;

    public static DashboardAssets Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            using var gz = new MemoryStream();
            using (var zip = new GZipStream(gz, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                zip.Write(bytes);
            }

            var path = name[Prefix.Length..].Replace('\\', '/');
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12)) + "\"";
            files[path] = new Asset(bytes, gz.ToArray(), ContentType(path), etag);
        }

        return new DashboardAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The uncompressed and gzip sizes of a file, or null.</summary>
    public (int Bytes, int Gzip)? SizeOf(string path) => _files.TryGetValue(path, out var a) ? (a.Bytes.Length, a.Gzip.Length) : null;

    /// <summary>Serves <c>/dashboard/PATH</c>; the empty path is <c>index.html</c>. Unknown paths get a 404.</summary>
    public async Task ServeAsync(HttpContext ctx, string? path)
    {
        path = string.IsNullOrEmpty(path) ? "index.html" : path;
        if (!_files.TryGetValue(path, out var asset))
        {
            ctx.Response.StatusCode = 404;
            return;
        }

        var headers = ctx.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = path.StartsWith("assets/", StringComparison.Ordinal) ? "public, max-age=31536000, immutable" : "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.Vary = "Accept-Encoding";
        if (path == "index.html")
        {
            // Only our own scripts and styles; no framing (clickjacking of the action buttons).
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
            headers["X-Frame-Options"] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
        }

        if (ctx.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            ctx.Response.StatusCode = 304;
            return;
        }

        var gzip = ctx.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);
        var body = gzip ? asset.Gzip : asset.Bytes;
        if (gzip)
        {
            headers.ContentEncoding = "gzip";
        }

        ctx.Response.ContentType = asset.ContentType;
        ctx.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Bytes, byte[] Gzip, string ContentType, string ETag);
}
