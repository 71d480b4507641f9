package dev.spool.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.artifact.JobFiles;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.job.ErrorCode;
import dev.spool.job.FileName;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A job's result and files: uploads by executors, reads by tenants, downloads by signed link. Always streamed. */
final class FileRoutes {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private final Engine engine;
    private final JobFiles files;
    private final String baseUrl;

    FileRoutes(Engine engine, JobFiles files, String baseUrl) {
        this.engine = engine;
        this.files = files;
        this.baseUrl = baseUrl;
    }

    /** The result JSON of a job that succeeded. */
    void result(Caller caller, ServerRequest req, ServerResponse res) {
        Job job = engine.get(caller.tenant(), jobId(req));
        if (job.status() != JobStatus.SUCCEEDED) {
            throw new SpoolException(ErrorCode.INVALID_STATE, "The job is " + job.status().wireName() + "; only a job that succeeded has a result.");
        }
        ApiServer.sendJson(res, Status.OK_200, job.result() == null ? Json.MAPPER.nullNode() : job.result());
    }

    void list(Caller caller, ServerRequest req, ServerResponse res) {
        JobId id = jobId(req);
        engine.get(caller.tenant(), id);
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        for (Artifact a : files.list(caller.tenant(), id)) {
            JobFiles.Link link = files.link(a);
            data.addObject()
                    .put("name", a.name())
                    .put("kind", a.kind().wireName())
                    .put("content_type", a.contentType())
                    .put("size", a.size())
                    .put("sha256", a.sha256())
                    .put("url", baseUrl + link.path())
                    .put("expires_at", Wire.time(link.expiresAt()))
                    .put("created_at", Wire.time(a.createdAt()));
        }
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void download(Caller caller, ServerRequest req, ServerResponse res) {
        JobId id = jobId(req);
        engine.get(caller.tenant(), id);
        send(req, res, files.get(caller.tenant(), id, name(req)));
    }

    /** A download by signed link: no API key, the signature and expiry are the permission. */
    void signedDownload(ServerRequest req, ServerResponse res) {
        JobId id = JobId.parse(req.path().pathParameters().get("id"))
                .orElseThrow(() -> new SpoolException(ErrorCode.FORBIDDEN, "This link is not valid."));
        var query = req.query();
        Artifact artifact = files.verify(id, name(req), query.first("expires").orElse(null), query.first("sig").orElse(null));
        send(req, res, artifact);
    }

    /** All of a job's files in one zip, written as it is read: nothing is held in memory or on disk. */
    void zip(Caller caller, ServerRequest req, ServerResponse res) {
        JobId id = jobId(req);
        engine.get(caller.tenant(), id);
        List<Artifact> all = files.list(caller.tenant(), id);
        res.header(HeaderNames.CONTENT_TYPE, "application/zip");
        res.header(HeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"" + id.value() + ".zip\"");
        try (OutputStream out = res.outputStream()) {
            files.zip(all, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An executor's output file, streamed in: {@code PUT …/artifacts/{name}?attempt=N} with the bytes as the body. */
    void upload(Caller caller, ServerRequest req, ServerResponse res) {
        int attempt;
        try {
            attempt = Integer.parseInt(req.query().first("attempt").orElse(""));
        } catch (NumberFormatException e) {
            throw SpoolException.invalid("attempt is required as a query parameter: the attempt number the claim gave");
        }
        String contentType = ApiServer.contentType(req).map(t -> t.text()).orElse(null);
        Artifact stored;
        try (InputStream in = req.content().inputStream()) {
            stored = files.upload(jobId(req), attempt, name(req), contentType, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SpoolException e) {
            if (e.code() == ErrorCode.PAYLOAD_TOO_LARGE) {
                ApiServer.drain(req);
            }
            throw e;
        }
        ObjectNode out = Json.MAPPER.createObjectNode()
                .put("name", stored.name()).put("content_type", stored.contentType())
                .put("size", stored.size()).put("sha256", stored.sha256());
        ApiServer.sendJson(res, Status.CREATED_201, out);
    }

    /** Streams a file, or the one byte range asked for (RFC 9110); other range forms get the whole file. */
    private void send(ServerRequest req, ServerResponse res, Artifact a) {
        long start = 0;
        long end = a.size() - 1;
        boolean partial = false;
        var range = req.headers().first(HeaderNames.RANGE);
        if (range.isPresent()) {
            Matcher m = RANGE.matcher(range.get().trim());
            if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
                if (m.group(1).isEmpty()) { // the last N bytes
                    start = Math.max(0, a.size() - Long.parseLong(m.group(2)));
                } else {
                    start = Long.parseLong(m.group(1));
                    if (!m.group(2).isEmpty()) {
                        end = Math.min(end, Long.parseLong(m.group(2)));
                    }
                }
                if (start >= a.size() || start > end) {
                    res.header(HeaderNames.CONTENT_RANGE, "bytes */" + a.size());
                    throw new SpoolException(ErrorCode.RANGE_NOT_SATISFIABLE,
                            "The file has " + a.size() + " bytes; the range " + range.get() + " asks for none of them.");
                }
                partial = true;
            }
        }
        long length = a.size() == 0 ? 0 : end - start + 1;
        res.status(partial ? Status.PARTIAL_CONTENT_206 : Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, a.contentType());
        res.header(HeaderNames.ACCEPT_RANGES, "bytes");
        res.header(HeaderNames.ETAG, "\"" + a.sha256() + "\"");
        res.header(HeaderNames.CONTENT_LENGTH, Long.toString(length));
        if (partial) {
            res.header(HeaderNames.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + a.size());
        }
        try (InputStream in = files.open(a, start); OutputStream out = res.outputStream()) {
            long left = length;
            byte[] buffer = new byte[64 * 1024];
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String name(ServerRequest req) {
        // Helidon has decoded the path parameter already: decoding it again would turn a name with
        // '+' or '%' into another name, or fail on it.
        return FileName.check(req.path().pathParameters().get("name"));
    }

    private static JobId jobId(ServerRequest req) {
        return JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("job"));
    }
}
