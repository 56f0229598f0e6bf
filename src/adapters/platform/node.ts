import os from 'node:os';
import type { Platform } from '../types.js';

export interface NodePlatformOptions {
  /** Device type for metrics (`_device_type`), default `desktop`. */
  deviceType?: string;
  /** Whether the process counts as "in the foreground" at start (default true). */
  foreground?: boolean;
}

/**
 * The Node.js platform: metrics from `node:os` and `Intl`. Node has no UI lifecycle; hosts
 * forward foreground/background with `countly.lifecycle` when they have one.
 */
export function nodePlatform(options: NodePlatformOptions = {}): Platform {
  return {
    name: 'Node',
    metrics() {
      const metrics: Record<string, string> = {
        _os: os.type() === 'Darwin' ? 'macOS' : os.type() === 'Windows_NT' ? 'Windows' : os.type(),
        _os_version: os.release(),
        _device: os.hostname(),
        _device_type: options.deviceType ?? 'desktop',
        _locale: Intl.DateTimeFormat().resolvedOptions().locale,
      };
      return metrics;
    },
    isForeground: () => options.foreground ?? true,
  };
}
