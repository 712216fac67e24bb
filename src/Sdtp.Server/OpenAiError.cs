using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sdtp.Server;

/// <summary>
/// A request the server refuses, answered as OpenAI does: an HTTP status and
/// <c>{"error": {"message", "type", "param", "code"}}</c>.
/// </summary>
public sealed class OpenAiError(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The request field at fault, if one is.</summary>
    public string? Param { get; } = param;

    /// <summary>OpenAI's error type (<c>invalid_request_error</c>, <c>authentication_error</c>, ...).</summary>
    public string Type { get; } = type;

    /// <summary>A machine-readable code, if any.</summary>
    public string? Code { get; } = code;

    /// <summary>A 400 naming <paramref name="param"/>.</summary>
    public static OpenAiError BadRequest(string param, string message) => new(StatusCodes.Status400BadRequest, message, param);

    /// <summary>Writes this error as the response.</summary>
    public Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        return response.WriteAsync(JsonSerializer.Serialize(new { error = new { message = Message, type = Type, param = Param, code = Code } }));
    }
}
