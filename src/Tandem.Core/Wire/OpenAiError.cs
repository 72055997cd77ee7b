using System.Buffers;
using System.Text.Json;

namespace Tandem.Wire;

/// <summary>OpenAI error <c>type</c> values Tandem uses.</summary>
public static class ErrorTypes
{
    /// <summary>The request itself is wrong.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>Key missing or wrong.</summary>
    public const string Authentication = "authentication_error";

    /// <summary>Rate limit or capacity.</summary>
    public const string RateLimit = "rate_limit_exceeded";

    /// <summary>The upstream failed.</summary>
    public const string Upstream = "upstream_error";

    /// <summary>The upstream did not answer in time.</summary>
    public const string Timeout = "timeout";

    /// <summary>Tandem itself failed.</summary>
    public const string Server = "server_error";
}

/// <summary>Writes errors in OpenAI's shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public static class OpenAiError
{
    /// <summary>Serialises an error body.</summary>
    public static byte[] Body(string message, string type, string? param = null, string? code = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, message, type, param, code);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes an error body to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string message, string type, string? param = null, string? code = null)
    {
        using var writer = new Utf8JsonWriter(output);
        Write(writer, message, type, param, code);
    }

    /// <summary>Writes an error body with <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, string message, string type, string? param = null, string? code = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", message);
        writer.WriteString("type", type);
        if (param is null)
        {
            writer.WriteNull("param");
        }
        else
        {
            writer.WriteString("param", param);
        }

        if (code is null)
        {
            writer.WriteNull("code");
        }
        else
        {
            writer.WriteString("code", code);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Extracts <c>error.message</c> from an upstream error body in OpenAI's shape, <c>{"error":{"message",…}}</c>;
    /// null for any other body. Other providers' error bodies look alike but are not OpenAI's — Anthropic's
    /// <c>{"type":"error","error":{"type","message"}}</c>, Google's <c>{"error":{"code":400,"message","status"}}</c>
    /// with a numeric code — and must not be relayed to OpenAI clients as if they were.
    /// </summary>
    public static string? MessageOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? message = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    return null; // Anthropic's envelope; OpenAI's body has only "error" at the top.
                }

                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (!isError || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isMessage = reader.ValueTextEquals("message"u8);
                    var isCode = reader.ValueTextEquals("code"u8);
                    reader.Read();
                    if (isMessage && reader.TokenType == JsonTokenType.String)
                    {
                        message = reader.GetString();
                    }
                    else if (isCode && reader.TokenType == JsonTokenType.Number)
                    {
                        return null; // Google's shape: OpenAI's code is a string.
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }

            return message;
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
