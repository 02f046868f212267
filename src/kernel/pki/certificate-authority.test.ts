import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { commonNameOf, createCertificateAuthority, issueCertificate } from "./certificate-authority.js";

describe("certificate authority", () => {
  it("issues server and client certificates that chain to the CA", async () => {
    const ca = await createCertificateAuthority("opm test CA");
    const server = await issueCertificate(ca, { name: "registry", kind: "server", hosts: ["127.0.0.1", "localhost"] });
    const client = await issueCertificate(ca, { name: "llvm-adapter-1", kind: "client" });
    const caCert = new X509Certificate(ca.certPem);
    for (const leaf of [server, client]) {
      const cert = new X509Certificate(leaf.certPem);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.ca).toBe(false);
    }
    expect(caCert.ca).toBe(true);
    expect(new X509Certificate(server.certPem).checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(commonNameOf(client.certPem)).toBe("llvm-adapter-1");
    expect(new X509Certificate(client.certPem).keyUsage).toContain("1.3.6.1.5.5.7.3.2");
  });

  it("does not chain a leaf to a different CA", async () => {
    const [a, b] = await Promise.all([createCertificateAuthority("A"), createCertificateAuthority("B")]);
    const leaf = await issueCertificate(a, { name: "x", kind: "client" });
    expect(new X509Certificate(leaf.certPem).checkIssued(new X509Certificate(b.certPem))).toBe(false);
  });
});
