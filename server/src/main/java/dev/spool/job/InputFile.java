package dev.spool.job;

/** A file uploaded with a submit, already in the artifact store: it becomes an input artifact of the job. */
public record InputFile(String name, String contentType, long size, String sha256) {
    public InputFile {
        FileName.check(name);
    }
}
