package dev.spool.auth;



/** Who made a request: the key it presented, and the tenant every read and write is scoped to. */
public record Caller(String keyId, String tenant, ApiKey.Role role) {
    public boolean isAdmin() {
        return role == ApiKey.Role.ADMIN;
    }
}
