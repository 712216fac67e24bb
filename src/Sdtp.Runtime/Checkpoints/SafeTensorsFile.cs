using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Sdtp.Checkpoints;

/// <summary>Where one tensor sits in a safetensors file and what it is.</summary>
public sealed record SafeTensorEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A safetensors file (8-byte little-endian header length, JSON header, raw little-endian data), read one tensor at a
/// time. Parsed here rather than through a Python bridge so that every header field is validated with an error that
/// names the file, tensor and byte offset, and no pickle code path exists at all.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly FileStream stream;
    private readonly long dataStart;

    private SafeTensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, SafeTensorEntry> entries,
        IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        this.stream = stream;
        this.dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    /// <summary>The header's <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates the header of <paramref name="path"/>; no tensor data is read yet.</summary>
    /// <exception cref="CheckpointException">The file is missing, truncated or its header is malformed.</exception>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            long fileSize = stream.Length;
            if (fileSize < 8)
                throw new CheckpointException($"{path}: truncated: {fileSize} bytes, too short for the 8-byte header length at offset 0");
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)(fileSize - 8))
                throw new CheckpointException(
                    $"{path}: header length {headerLength} (bytes 0-7) runs past the end of the file ({fileSize} bytes); the file is truncated or not safetensors");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataStart = 8 + (long)headerLength;
            var (entries, metadata) = ParseHeader(path, header, fileSize - dataStart, dataStart);
            return new SafeTensorsFile(path, stream, dataStart, entries, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, SafeTensorEntry>, Dictionary<string, string>) ParseHeader(
        string path, byte[] header, long dataLength, long dataStart)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(Encoding.UTF8.GetString(header)) as JsonObject
                ?? throw new CheckpointException($"{path}: header (bytes 8-{8 + header.Length - 1}) is not a JSON object");
            // JsonObject indexes its properties lazily: force it here, where a duplicate name can still be reported.
            _ = root.Count;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: malformed JSON header (bytes 8-{8 + header.Length - 1}): {e.Message}");
        }
        catch (ArgumentException)
        {
            throw new CheckpointException($"{path}: the header names a tensor twice: {DuplicateName(header) ?? "(name not found)"}");
        }

        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta)
                        metadata[k] = v is JsonValue s && s.TryGetValue<string>(out var text) ? text : v?.ToJsonString() ?? "";
                continue;
            }
            entries[name] = ParseEntry(path, name, node, dataLength, dataStart);
        }
        CheckLayout(path, entries.Values, dataLength);
        return (entries, metadata);
    }

    // The format requires the data buffer to be exactly the tensors, back to back: a hole or an overlap means the
    // writer was broken or the header was edited, and the weights read from it would be silently wrong.
    private static void CheckLayout(string path, IEnumerable<SafeTensorEntry> entries, long dataLength)
    {
        long offset = 0;
        SafeTensorEntry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < offset)
                throw new CheckpointException(
                    $"{path}: tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > offset)
                throw new CheckpointException(
                    $"{path}: tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] leave a hole: the previous tensor{(previous is null ? "" : $" ('{previous.Name}')")} ends at {offset}");
            (offset, previous) = (entry.End, entry);
        }
        if (offset != dataLength)
            throw new CheckpointException(
                $"{path}: the tensors hold {offset} bytes of data but the file has {dataLength} after its header; the header does not describe the whole file");
    }

    // System.Text.Json reports a duplicate property without its name; find it for the message.
    private static string? DuplicateName(byte[] header)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header);
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && !seen.Add(reader.GetString()!))
                return $"'{reader.GetString()}'";
            else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
                reader.Skip();
        return null;
    }

    private static SafeTensorEntry ParseEntry(string path, string name, JsonNode? node, long dataLength, long dataStart)
    {
        CheckpointException Bad(string problem) => new($"{path}: tensor '{name}': {problem}");
        if (node is not JsonObject o) throw Bad("header entry is not an object");

        var dtypeName = o["dtype"] is JsonValue dv && dv.TryGetValue<string>(out var dn) ? dn : throw Bad("missing 'dtype'");
        if (!SafeTensorsDType.TryParse(dtypeName, out var dtype))
            throw Bad($"dtype '{dtypeName}' is not supported; supported: {string.Join(", ", SafeTensorsDType.Supported)}");

        if (o["shape"] is not JsonArray shapeArray) throw Bad("missing 'shape' array");
        var shape = new long[shapeArray.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeArray[i] is not JsonValue sv || !sv.TryGetValue<long>(out shape[i]) || shape[i] < 0)
                throw Bad($"shape {shapeArray.ToJsonString()} has a non-integer or negative dimension");
        }

        if (o["data_offsets"] is not JsonArray offsets || offsets.Count != 2
            || offsets[0] is not JsonValue b || !b.TryGetValue<long>(out var begin)
            || offsets[1] is not JsonValue e || !e.TryGetValue<long>(out var end))
            throw Bad("'data_offsets' must be [begin, end]");
        if (begin < 0 || end < begin)
            throw Bad($"data_offsets [{begin}, {end}] are not an ascending pair");

        var entry = new SafeTensorEntry(name, dtype, shape, begin, end);
        long expectedBytes = entry.ElementCount * SafeTensorsDType.Size(dtype);
        if (end - begin != expectedBytes)
            throw Bad($"data_offsets [{begin}, {end}] hold {end - begin} bytes but {dtypeName}[{string.Join(", ", shape)}] needs {expectedBytes}");
        if (end > dataLength)
            throw Bad($"data ends at byte offset {dataStart + end} but the file has only {dataStart + dataLength} bytes; the file is truncated");
        return entry;
    }

    /// <summary>Reads tensor <paramref name="name"/> into a new CPU tensor of its stored dtype.</summary>
    public Tensor Read(string name)
    {
        var entry = EntryOf(name);
        var result = empty(entry.Shape, entry.DType, CPU);
        try
        {
            ReadBytes(entry, result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether tensor <paramref name="name"/> can be read straight into <paramref name="target"/>: a contiguous CPU
    /// tensor of the stored dtype and shape, so loading needs no temporary copy.
    /// </summary>
    public bool CanReadInto(string name, Tensor target)
    {
        var entry = EntryOf(name);
        return target.device_type == TorchSharp.DeviceType.CPU && target.dtype == entry.DType && target.is_contiguous()
            && target.shape.SequenceEqual(entry.Shape);
    }

    /// <summary>Reads tensor <paramref name="name"/> into <paramref name="target"/>, which <see cref="CanReadInto"/> must accept.</summary>
    public void ReadInto(string name, Tensor target)
    {
        if (!CanReadInto(name, target))
            throw new ArgumentException($"{Path}: tensor '{name}' cannot be read in place into a {target.dtype} tensor of shape [{string.Join(", ", target.shape)}] on {target.device}", nameof(target));
        ReadBytes(EntryOf(name), target);
    }

    private SafeTensorEntry EntryOf(string name) =>
        Entries.TryGetValue(name, out var entry) ? entry : throw new CheckpointException($"{Path}: no tensor named '{name}'");

    private void ReadBytes(SafeTensorEntry entry, Tensor target)
    {
        try
        {
            if (entry.End > entry.Begin)
            {
                stream.Seek(dataStart + entry.Begin, SeekOrigin.Begin);
                stream.ReadExactly(target.bytes); // straight into the tensor's memory: no managed copy
            }
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{Path}: tensor '{entry.Name}': reading bytes {dataStart + entry.Begin}-{dataStart + entry.End} failed: {e.Message}");
        }
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (sorted by name for byte-identical output) to <paramref name="path"/>,
    /// atomically. Tensors may live on any device; they are copied to the CPU one at a time.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            long bytes = tensor.numel() * SafeTensorsDType.Size(tensor.dtype);
            header[name] = new JsonObject
            {
                ["dtype"] = SafeTensorsDType.Name(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - headerBytes.Length % 8) % 8; // data starts 8-aligned, as the reference writer does
        var paddedHeader = new byte[headerBytes.Length + padding];
        headerBytes.CopyTo(paddedHeader, 0);
        paddedHeader.AsSpan(headerBytes.Length).Fill((byte)' ');

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)paddedHeader.Length);
            stream.Write(length);
            stream.Write(paddedHeader);
            foreach (var (_, tensor) in ordered)
            {
                using var scope = NewDisposeScope();
                stream.Write(tensor.detach().cpu().contiguous().bytes);
            }
        });
    }

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();
}

/// <summary>A checkpoint problem: the message names the file and the tensor, field or byte offset.</summary>
public sealed class CheckpointException(string message) : Exception(message);
