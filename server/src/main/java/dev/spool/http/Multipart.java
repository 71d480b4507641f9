package dev.spool.http;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.RequestContext;

/**
 * Reads a multipart/form-data body part by part as it arrives (Commons FileUpload's streaming
 * API): nothing is buffered whole, whatever the size of the files.
 */
public final class Multipart {
    /** One part: a form field or a file, readable once, in order. */
    public interface Part {
        String field();

        /** The file name the client gave, or null for a plain form field. */
        String fileName();

        String contentType();

        InputStream content() throws IOException;
    }

    @FunctionalInterface
    public interface PartHandler {
        void accept(Part part) throws IOException;
    }

    /** Commons FileUpload, over any request context; only its streaming side is used. */
    private static final class Streaming extends AbstractFileUpload<RequestContext, DiskFileItem, DiskFileItemFactory> {
        @Override
        public FileItemInputIterator getItemIterator(RequestContext request) throws FileUploadException, IOException {
            return super.getItemIterator(request);
        }

        @Override
        public Map<String, List<DiskFileItem>> parseParameterMap(RequestContext request) {
            throw new UnsupportedOperationException("Spool streams multipart bodies");
        }

        @Override
        public List<DiskFileItem> parseRequest(RequestContext request) {
            throw new UnsupportedOperationException("Spool streams multipart bodies");
        }
    }

    private Multipart() {}

    public static boolean is(ServerRequest req) {
        return ApiServer.contentType(req).map(t -> t.mediaType().text().equalsIgnoreCase("multipart/form-data")).orElse(false);
    }

    /** Hands each part to {@code handler} in order, streaming; at most {@code maxParts} parts. */
    public static void read(ServerRequest req, long maxParts, PartHandler handler) {
        String contentType = ApiServer.contentType(req).map(t -> t.text()).orElseThrow();
        long length = req.headers().contentLength().orElse(-1);
        Streaming upload = new Streaming();
        upload.setFileCountMax(maxParts);
        try {
            FileItemInputIterator parts = upload.getItemIterator(new RequestContext() {
                @Override
                public String getCharacterEncoding() {
                    return "UTF-8";
                }

                @Override
                public long getContentLength() {
                    return length;
                }

                @Override
                public String getContentType() {
                    return contentType;
                }

                @Override
                public InputStream getInputStream() {
                    return ApiServer.boundedBody(req);
                }

                @Override
                public boolean isMultipartRelated() {
                    return false;
                }
            });
            while (parts.hasNext()) {
                FileItemInput item = parts.next();
                handler.accept(new Part() {
                    public String field() {
                        return item.getFieldName();
                    }

                    public String fileName() {
                        return item.isFormField() ? null : item.getName();
                    }

                    public String contentType() {
                        return item.getContentType();
                    }

                    public InputStream content() throws IOException {
                        return item.getInputStream();
                    }
                });
            }
        } catch (FileUploadException e) {
            throw new SpoolException(e.getMessage() != null && e.getMessage().contains("count")
                    ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_REQUEST, "The multipart body could not be read: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
