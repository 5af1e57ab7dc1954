package org.waymark.demo.platform

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationManager
import android.os.Process
import org.waymark.GeoPoint

/**
 * The location from the framework's `LocationManager`, once: the freshest
 * last-known fix of the network or GPS provider. Nothing is requested in
 * the background, nothing is stored; the point goes to one nearby query
 * on the phone and is dropped.
 */
internal object AndroidLocation : LocationSource {
    @SuppressLint("MissingPermission") // checked just above each call
    override suspend fun once(context: Context): GeoPoint? {
        val granted = listOf(Manifest.permission.ACCESS_COARSE_LOCATION, Manifest.permission.ACCESS_FINE_LOCATION).any {
            context.checkPermission(it, Process.myPid(), Process.myUid()) == PackageManager.PERMISSION_GRANTED
        }
        if (!granted) return null
        val manager = context.getSystemService(Context.LOCATION_SERVICE) as? LocationManager ?: return null
        val fixes: List<Location> = listOf(LocationManager.NETWORK_PROVIDER, LocationManager.GPS_PROVIDER).mapNotNull {
            runCatching { manager.getLastKnownLocation(it) }.getOrNull()
        }
        val best = fixes.maxByOrNull { it.time } ?: return null
        return GeoPoint(best.latitude, best.longitude)
    }
}
